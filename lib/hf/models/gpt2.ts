// GPT-2 as transformers lays it out (GPT2Model under `transformer`, GPT2LMHeadModel's lm_head
// tied to wte), with transformers' Conv1D projections: c_attn, c_proj and c_fc hold their
// weights as [in, out], so GPT-2 checkpoints load byte for byte.
import { arange } from '../../core/creation.js';
import { type Tensor } from '../../core/tensor.js';
import { Module } from '../../nn/module.js';
import { Dropout } from '../../nn/layers/activation.js';
import { ModuleList } from '../../nn/layers/container.js';
import { Embedding } from '../../nn/layers/embedding.js';
import { Linear } from '../../nn/layers/linear.js';
import { LayerNorm } from '../../nn/layers/normalization.js';
import * as F from '../../nn/functional.js';
import * as init from '../../nn/init.js';
import { lookup } from '../../models/inputs.js';
import { type Gpt2HfConfig } from '../config.js';
import { checkpoint } from '../../nn/checkpoint.js';
import { activation, causalMask, checkInputs, type CheckpointableStack, Conv1D, dtypeMin, type HfInputs, HfPretrainedModule, paddingMask, type PretrainedModel } from './common.js';

export class GPT2Attention extends Module {
  declare cAttn: Conv1D;
  declare cProj: Conv1D;
  declare attnDropout: Dropout;
  declare residDropout: Dropout;
  readonly heads: number;

  constructor(config: Gpt2HfConfig) {
    super();
    const e = config.n_embd;
    this.heads = config.n_head;
    this.registerModule('c_attn', new Conv1D(e, 3 * e, config.initializer_range), 'cAttn');
    this.registerModule('c_proj', new Conv1D(e, e, config.initializer_range / Math.sqrt(2 * config.n_layer)), 'cProj');
    this.registerModule('attn_dropout', new Dropout(config.attn_pdrop), 'attnDropout');
    this.registerModule('resid_dropout', new Dropout(config.resid_pdrop), 'residDropout');
  }

  /** x [B, T, E] and an additive mask (or null for plain causal attention) -> [B, T, E]. */
  forward(x: Tensor, mask: Tensor | null): Tensor {
    const [b, t, e] = x.shape as [number, number, number];
    const d = e / this.heads;
    const [q, k, v] = this.cAttn.forward(x).split(e, 2).map((p) => p.view(b, t, this.heads, d).transpose(1, 2)) as [Tensor, Tensor, Tensor];
    const dropoutP = this.training ? this.attnDropout.p : 0;
    const out = mask
      ? F.scaledDotProductAttention(q, k, v, { attnMask: mask, dropoutP })
      : F.scaledDotProductAttention(q, k, v, { isCausal: true, dropoutP });
    return this.residDropout.forward(this.cProj.forward(out.transpose(1, 2).reshape(b, t, e)));
  }
}

export class GPT2MLP extends Module {
  declare cFc: Conv1D;
  declare cProj: Conv1D;
  declare dropout: Dropout;
  declare private readonly act: (x: Tensor) => Tensor;

  constructor(config: Gpt2HfConfig) {
    super();
    const inner = config.n_inner ?? 4 * config.n_embd;
    this.registerModule('c_fc', new Conv1D(config.n_embd, inner, config.initializer_range), 'cFc');
    this.registerModule('c_proj', new Conv1D(inner, config.n_embd, config.initializer_range / Math.sqrt(2 * config.n_layer)), 'cProj');
    this.dropout = new Dropout(config.resid_pdrop);
    Object.defineProperty(this, 'act', { value: activation(config.activation_function), enumerable: false });
  }

  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.cProj.forward(this.act(this.cFc.forward(x))));
  }
}

export class GPT2Block extends Module {
  declare ln1: LayerNorm;
  declare attn: GPT2Attention;
  declare ln2: LayerNorm;
  declare mlp: GPT2MLP;

  constructor(config: Gpt2HfConfig) {
    super();
    this.registerModule('ln_1', new LayerNorm(config.n_embd, { eps: config.layer_norm_epsilon }), 'ln1');
    this.attn = new GPT2Attention(config);
    this.registerModule('ln_2', new LayerNorm(config.n_embd, { eps: config.layer_norm_epsilon }), 'ln2');
    this.mlp = new GPT2MLP(config);
  }

  forward(x: Tensor, mask: Tensor | null): Tensor {
    const h = x.add(this.attn.forward(this.ln1.forward(x), mask));
    return h.add(this.mlp.forward(this.ln2.forward(h)));
  }
}

/** transformers' GPT2Model: wte, wpe, drop, h.N, ln_f -> the last hidden states [B, T, n_embd]. */
export class GPT2Model extends HfPretrainedModule implements PretrainedModel, CheckpointableStack {
  readonly architecture = 'GPT2Model';
  readonly tiedWeights = {};
  readonly basePrefix = '';
  readonly supportsGradientCheckpointing = true;
  /** Recompute each block's activations in backward while training (gradientCheckpointingEnable()). */
  gradientCheckpointing = false;
  declare wte: Embedding;
  declare wpe: Embedding;
  declare drop: Dropout;
  declare h: ModuleList;
  declare lnF: LayerNorm;

  constructor(readonly config: Gpt2HfConfig) {
    super();
    const c = config;
    this.wte = new Embedding(c.vocab_size, c.n_embd);
    this.wpe = new Embedding(c.n_positions, c.n_embd);
    init.normal_(this.wte.weight, 0, c.initializer_range);
    init.normal_(this.wpe.weight, 0, c.initializer_range);
    this.drop = new Dropout(c.embd_pdrop);
    this.h = new ModuleList(Array.from({ length: c.n_layer }, () => new GPT2Block(c)));
    this.registerModule('ln_f', new LayerNorm(c.n_embd, { eps: c.layer_norm_epsilon }), 'lnF');
  }

  get hfConfig(): Record<string, unknown> {
    return this.config;
  }

  /** inputIds [B, T] -> hidden states [B, T, n_embd]; attentionMask hides padded keys on top of the causal mask. */
  forward(inputIds: Tensor, inputs?: HfInputs): Tensor {
    const { ids, mask } = checkInputs(`${this.architecture}.forward`, inputIds, inputs, this.config.n_positions);
    const t = ids.shape[1];
    const tokens = lookup(this.wte, ids, 'GPT2Model', 'inputIds', 'vocab_size');
    let x = this.drop.forward(tokens.add(this.wpe.forward(arange(t, { device: ids.device }))));
    // causal + padding can sum to twice dtype min (-inf in float32): clamped, as transformers' masks stay finite.
    const additive = mask ? causalMask(t, x.dtype, ids.device).add(paddingMask(mask, x.dtype)).clampMin(dtypeMin(x.dtype)) : null;
    const recompute = this.gradientCheckpointing && this.training;
    for (const block of this.h.children() as GPT2Block[]) {
      // The mask is an input of the checkpoint so that it lives until the recomputation in backward.
      x = !recompute ? block.forward(x, additive)
        : additive ? checkpoint((h, m) => block.forward(h, m), [x, additive])
        : checkpoint((h) => block.forward(h, null), [x]);
    }
    return this.lnF.forward(x);
  }
}

/** transformers' GPT2LMHeadModel: transformer (GPT2Model) and lm_head tied to wte -> logits [B, T, vocab_size]. */
export class GPT2LMHeadModel extends HfPretrainedModule implements PretrainedModel {
  readonly architecture = 'GPT2LMHeadModel';
  readonly basePrefix = 'transformer';
  declare transformer: GPT2Model;
  declare lmHead: Linear;

  constructor(readonly config: Gpt2HfConfig) {
    super();
    this.transformer = new GPT2Model(config);
    this.registerModule('lm_head', new Linear(config.n_embd, config.vocab_size, { bias: false }), 'lmHead');
    if (config.tie_word_embeddings) {
      this.lmHead.weight.dispose();
      this.lmHead.weight = this.transformer.wte.weight;
    } else init.normal_(this.lmHead.weight, 0, config.initializer_range);
  }

  get tiedWeights(): Record<string, string> {
    return this.config.tie_word_embeddings ? { 'lm_head.weight': 'transformer.wte.weight' } : {};
  }

  get hfConfig(): Record<string, unknown> {
    return this.config;
  }

  /** inputIds [B, T] -> next-token logits [B, T, vocab_size]. */
  forward(inputIds: Tensor, inputs?: HfInputs): Tensor {
    return this.lmHead.forward(this.transformer.forward(inputIds, inputs));
  }
}
