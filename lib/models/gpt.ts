// A GPT-2-style decoder-only language model, laid out as Karpathy's nanoGPT (so its state dict
// reads the same way: transformer.wte, transformer.wpe, transformer.h.N, transformer.ln_f,
// lm_head). The blocks are nn.TransformerDecoderBlock (pre-norm, causal); the attention's
// q/k/v projection is MultiheadAttention's packed in_proj_weight where nanoGPT has c_attn.
import { z } from 'zod';
import { noGrad } from '../core/autograd.js';
import { arange } from '../core/creation.js';
import { cat } from '../core/functions.js';
import { scope } from '../core/scope.js';
import { type Tensor } from '../core/tensor.js';
import * as init from '../nn/init.js';
import { Module } from '../nn/module.js';
import { Dropout } from '../nn/layers/activation.js';
import { ModuleList } from '../nn/layers/container.js';
import { Embedding } from '../nn/layers/embedding.js';
import { Linear } from '../nn/layers/linear.js';
import { LayerNorm } from '../nn/layers/normalization.js';
import { TransformerDecoderBlock } from '../nn/layers/transformer.js';
import { checkpoint } from '../nn/checkpoint.js';
import { parseConfig, positiveInt, probability, rule } from './config.js';
import { lookup, requireTokenIds } from './inputs.js';

export interface GPTConfig {
  /** Number of token ids (the logits' last dim). */
  vocabSize: number;
  /** Longest context: the number of learned positions. */
  blockSize: number;
  /** Number of transformer blocks. */
  nLayer: number;
  /** Attention heads per block; must divide nEmbd. */
  nHead: number;
  /** Embedding (model) width; the MLP is 4x wider, as GPT-2's. */
  nEmbd: number;
  /** Dropout on embeddings, attention weights and residual branches. Default 0. */
  dropout?: number;
  /** Biases in the Linear layers and LayerNorms (GPT-2 has them). Default true. */
  bias?: boolean;
  /**
   * Activation checkpointing: in training, each block keeps only its input and recomputes its
   * activations in backward (nn.checkpoint), trading about one extra forward for memory. Default false.
   */
  gradientCheckpointing?: boolean;
}

const schema = z.strictObject({
  vocabSize: positiveInt(),
  blockSize: positiveInt(),
  nLayer: positiveInt(),
  nHead: positiveInt(),
  nEmbd: positiveInt(),
  dropout: probability().default(0),
  bias: z.boolean().default(true),
  gradientCheckpointing: z.boolean().optional(),
}).superRefine((c, ctx) => rule(ctx, c.nEmbd % c.nHead === 0, ['nHead'], `must divide nEmbd (${c.nEmbd}), got ${c.nHead}`));

export type ResolvedGPTConfig = z.output<typeof schema>;

export interface GenerateOptions {
  /** Divides the logits before sampling: below 1 sharper, above 1 flatter. Default 1. */
  temperature?: number;
  /** Sample only among the k most likely tokens (topK: 1 is greedy decoding). Default: all. */
  topK?: number;
}

/** The trunk (nanoGPT's `transformer` ModuleDict): embeddings, blocks and the final LayerNorm. */
export class GPTTransformer extends Module {
  declare wte: Embedding;
  declare wpe: Embedding;
  declare drop: Dropout;
  declare h: ModuleList;
  declare lnF: LayerNorm;
  /** Recompute each block's activations in backward while training (config.gradientCheckpointing). */
  gradientCheckpointing: boolean;

  constructor(readonly config: ResolvedGPTConfig) {
    super();
    this.gradientCheckpointing = config.gradientCheckpointing ?? false;
    const c = config;
    this.wte = new Embedding(c.vocabSize, c.nEmbd);
    this.wpe = new Embedding(c.blockSize, c.nEmbd);
    this.drop = new Dropout(c.dropout);
    this.h = new ModuleList(Array.from({ length: c.nLayer }, () => new TransformerDecoderBlock(c.nEmbd, c.nHead, { dropout: c.dropout, bias: c.bias })));
    this.registerModule('ln_f', new LayerNorm(c.nEmbd, { bias: c.bias }), 'lnF');
  }

  /** idx [B, T] -> hidden states [B, T, nEmbd] after ln_f. */
  forward(idx: Tensor): Tensor {
    const ids = requireTokenIds(idx, 'GPT.forward', 'idx');
    const t = ids.shape[1];
    if (t > this.config.blockSize) {
      throw new RangeError(`GPT.forward: sequence length ${t} exceeds blockSize ${this.config.blockSize}; crop the context to its last ${this.config.blockSize} tokens (generate() does) or build the model with a larger blockSize`);
    }
    const tok = lookup(this.wte, ids, 'GPT.forward', 'idx', 'vocabSize');
    let x = this.drop.forward(tok.add(this.wpe.forward(arange(t, { device: ids.device }))));
    const recompute = this.gradientCheckpointing && this.training;
    for (const block of this.h) x = recompute ? checkpoint((h) => block.forward(h), [x]) : block.forward(x);
    return this.lnF.forward(x);
  }
}

export class GPT extends Module {
  declare transformer: GPTTransformer;
  declare lmHead: Linear;
  readonly config: ResolvedGPTConfig;

  constructor(config: GPTConfig) {
    super();
    const c = parseConfig('GPT', schema, config);
    this.config = c;
    this.transformer = new GPTTransformer(c);
    this.registerModule('lm_head', new Linear(c.nEmbd, c.vocabSize, { bias: false }), 'lmHead');
    // Weight tying (Press & Wolf 2017), as nanoGPT: the token embedding IS the output
    // projection. One Parameter object in two modules: parameters() lists it once (as
    // transformer.wte.weight), the state dict has both keys, as PyTorch's does.
    const untied = this.transformer.wte.weight;
    this.transformer.wte.weight = this.lmHead.weight;
    untied.dispose();
    this.initWeights();
  }

  /**
   * nanoGPT's initialisation: N(0, 0.02) for Linear and Embedding weights (and the packed q/k/v
   * projection, nanoGPT's c_attn), zero biases, and the two projections that write into the
   * residual stream (attention out_proj, mlp_proj) at 0.02 / sqrt(2 * nLayer) (GPT-2 paper), so
   * the residual's variance does not grow with depth.
   */
  private initWeights(): void {
    const std = 0.02;
    for (const m of this.modules()) {
      if (m instanceof Linear || m instanceof Embedding) init.normal_(m.weight, 0, std);
      if (m instanceof Linear && m.bias) init.zeros_(m.bias);
    }
    const residualStd = std / Math.sqrt(2 * this.config.nLayer);
    for (const block of this.blocks) {
      init.normal_(block.attn.inProjWeight, 0, std);
      if (block.attn.inProjBias) init.zeros_(block.attn.inProjBias);
      init.normal_(block.attn.outProj.weight, 0, residualStd);
      init.normal_(block.mlpProj.weight, 0, residualStd);
    }
  }

  get blocks(): TransformerDecoderBlock[] {
    return this.transformer.h.children() as TransformerDecoderBlock[];
  }

  /** idx [B, T] int64 (T <= blockSize) -> logits [B, T, vocabSize]. */
  forward(idx: Tensor): Tensor {
    return this.lmHead.forward(this.transformer.forward(idx));
  }

  /**
   * Extends idx [B, T] by maxNewTokens sampled tokens, feeding each prediction back in (the
   * context cropped to the last blockSize tokens), and returns the extended ids
   * [B, T + maxNewTokens] (idx itself is left as it was). Draws from torch's generator, so
   * torch.manualSeed makes it repeatable. Runs without autograd; dropout follows the module's
   * mode, so call eval() first when the model was built with dropout.
   */
  generate(idx: Tensor, maxNewTokens: number, options: GenerateOptions = {}): Tensor {
    requireTokenIds(idx, 'GPT.generate', 'idx');
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new RangeError(`GPT.generate: maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
    const temperature = options.temperature ?? 1;
    if (!(temperature > 0 && Number.isFinite(temperature))) {
      throw new RangeError(`GPT.generate: temperature must be a positive finite number, got ${temperature}; for greedy decoding use { topK: 1 }`);
    }
    const topK = options.topK === undefined ? undefined : Math.min(options.topK, this.config.vocabSize);
    if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) throw new RangeError(`GPT.generate: topK must be a positive integer, got ${options.topK}`);
    const block = this.config.blockSize;
    return noGrad(() => {
      let out = idx.clone();
      for (let i = 0; i < maxNewTokens; i++) {
        const previous = out;
        out = scope(() => {
          const t = previous.shape[1];
          const context = t <= block ? previous : previous.narrow(1, t - block, block);
          let logits = this.forward(context).select(1, -1);
          if (temperature !== 1) logits = logits.div(temperature);
          if (topK !== undefined && topK < this.config.vocabSize) {
            const kth = logits.topk(topK, -1).values.narrow(1, topK - 1, 1);
            logits = logits.maskedFill(logits.lt(kth), -Infinity);
          }
          const next = logits.softmax(-1).multinomial(1);
          return cat([previous, next.to({ dtype: previous.dtype })], 1);
        });
        previous.dispose();
      }
      return out;
    });
  }
}

/** The config schema, for checking a run file's model config without building the model (lib/config). */
export { schema as gptConfigSchema };
