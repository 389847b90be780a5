// A BERT-style encoder (Devlin et al. 2019): word + position + token-type embeddings, post-norm
// transformer encoder layers with GELU, and two heads: masked-LM (dense -> gelu -> LayerNorm ->
// a decoder tied to the word embeddings, plus its own bias) and sequence classification (the
// pooler's dense + tanh on the first token, dropout, classifier). Embedding and head names
// follow Hugging Face's BertModel; the layers are torch.nn.TransformerEncoderLayer's.
import { z } from 'zod';
import { arange, zeros } from '../core/creation.js';
import { type Tensor } from '../core/tensor.js';
import * as F from '../nn/functional.js';
import * as init from '../nn/init.js';
import { Module } from '../nn/module.js';
import { Parameter } from '../nn/parameter.js';
import { Dropout } from '../nn/layers/activation.js';
import { ModuleList } from '../nn/layers/container.js';
import { Embedding } from '../nn/layers/embedding.js';
import { Linear } from '../nn/layers/linear.js';
import { LayerNorm } from '../nn/layers/normalization.js';
import { TransformerEncoderLayer } from '../nn/layers/transformer.js';
import { checkpoint } from '../nn/checkpoint.js';
import { parseConfig, positiveInt, probability, rule } from './config.js';
import { lookup, requireSameShape, requireTokenIds } from './inputs.js';

export interface BertConfig {
  /** Number of token ids. */
  vocabSize: number;
  /** Longest sequence: the number of learned positions (BERT-base: 512). */
  maxLength: number;
  /** Hidden (model) width (BERT-base: 768). */
  hidden: number;
  /** Number of encoder layers (BERT-base: 12). */
  layers: number;
  /** Attention heads per layer; must divide hidden (BERT-base: 12). */
  heads: number;
  /** Width of each layer's feed-forward block (BERT-base: 3072). */
  intermediate: number;
  /** Number of token types (segments A/B). Default 2. */
  typeVocabSize?: number;
  /** Dropout on embeddings, attention weights, residual branches and before the classifier. Default 0.1. */
  dropout?: number;
  /** Classes of the classification head; without it there is no classifier and classify() throws. */
  numClasses?: number;
  /** LayerNorm epsilon. Default 1e-12 (BERT's). */
  layerNormEps?: number;
  /**
   * Activation checkpointing: in training, each encoder layer keeps only its input and
   * recomputes its activations in backward (nn.checkpoint). Default false.
   */
  gradientCheckpointing?: boolean;
}

const schema = z.strictObject({
  vocabSize: positiveInt(),
  maxLength: positiveInt(),
  hidden: positiveInt(),
  layers: positiveInt(),
  heads: positiveInt(),
  intermediate: positiveInt(),
  typeVocabSize: positiveInt().default(2),
  dropout: probability().default(0.1),
  numClasses: positiveInt().optional(),
  layerNormEps: z.number().positive().default(1e-12),
  gradientCheckpointing: z.boolean().optional(),
}).superRefine((c, ctx) => rule(ctx, c.hidden % c.heads === 0, ['heads'], `must divide hidden (${c.hidden}), got ${c.heads}`));

export type ResolvedBertConfig = z.output<typeof schema>;

/** What each method takes besides the ids; every tensor is [batch, seq] like the ids. */
export interface BertInputs {
  /** 1 (or true) for real tokens, 0 for padding; padded keys are not attended to. Default: all real. */
  attentionMask?: Tensor | null;
  /** Segment of each token, in [0, typeVocabSize). Default: all 0. */
  tokenTypeIds?: Tensor | null;
}

export class BertEmbeddings extends Module {
  declare wordEmbeddings: Embedding;
  declare positionEmbeddings: Embedding;
  declare tokenTypeEmbeddings: Embedding;
  declare layerNorm: LayerNorm;
  declare dropout: Dropout;

  constructor(readonly config: ResolvedBertConfig) {
    super();
    const c = config;
    this.registerModule('word_embeddings', new Embedding(c.vocabSize, c.hidden), 'wordEmbeddings');
    this.registerModule('position_embeddings', new Embedding(c.maxLength, c.hidden), 'positionEmbeddings');
    this.registerModule('token_type_embeddings', new Embedding(c.typeVocabSize, c.hidden), 'tokenTypeEmbeddings');
    this.registerModule('LayerNorm', new LayerNorm(c.hidden, { eps: c.layerNormEps }), 'layerNorm');
    this.dropout = new Dropout(c.dropout);
  }

  forward(ids: Tensor, tokenTypeIds?: Tensor | null): Tensor {
    const t = ids.shape[1];
    const words = lookup(this.wordEmbeddings, ids, 'Bert', 'ids', 'vocabSize');
    const positions = this.positionEmbeddings.forward(arange(t, { device: ids.device }));
    const types = tokenTypeIds
      ? lookup(this.tokenTypeEmbeddings, tokenTypeIds, 'Bert', 'tokenTypeIds', 'typeVocabSize')
      : this.tokenTypeEmbeddings.forward(zeros([1, t], { dtype: 'int64', device: ids.device }));
    return this.dropout.forward(this.layerNorm.forward(words.add(positions).add(types)));
  }
}

/** Masked-LM head: dense -> gelu -> LayerNorm -> decoder (tied to the word embeddings) + bias. */
export class BertLMHead extends Module {
  declare dense: Linear;
  declare layerNorm: LayerNorm;
  declare decoder: Linear;
  declare bias: Parameter;

  constructor(config: ResolvedBertConfig, wordEmbeddings: Embedding) {
    super();
    this.dense = new Linear(config.hidden, config.hidden);
    this.registerModule('LayerNorm', new LayerNorm(config.hidden, { eps: config.layerNormEps }), 'layerNorm');
    this.decoder = new Linear(config.hidden, config.vocabSize, { bias: false });
    // Tied: predicting a token scores the hidden state against that token's input embedding.
    const untied = this.decoder.weight;
    this.decoder.weight = wordEmbeddings.weight;
    untied.dispose();
    this.bias = new Parameter(zeros([config.vocabSize]));
  }

  forward(hidden: Tensor): Tensor {
    return this.decoder.forward(this.layerNorm.forward(F.gelu(this.dense.forward(hidden)))).add(this.bias);
  }
}

/** BERT's pooler: dense + tanh on the first ([CLS]) token's hidden state. */
export class BertPooler extends Module {
  declare dense: Linear;

  constructor(hidden: number) {
    super();
    this.dense = new Linear(hidden, hidden);
  }

  /** hidden [B, T, hidden] -> [B, hidden]. */
  forward(hidden: Tensor): Tensor {
    return this.dense.forward(hidden.select(1, 0)).tanh();
  }
}

export class Bert extends Module {
  declare embeddings: BertEmbeddings;
  declare encoder: ModuleList;
  declare pooler: BertPooler;
  declare mlmHead: BertLMHead;
  declare dropout: Dropout;
  declare classifier: Linear | null;
  readonly config: ResolvedBertConfig;
  /** Recompute each layer's activations in backward while training (config.gradientCheckpointing). */
  gradientCheckpointing: boolean;

  constructor(config: BertConfig) {
    super();
    const c = parseConfig('Bert', schema, config);
    this.config = c;
    this.gradientCheckpointing = c.gradientCheckpointing ?? false;
    this.embeddings = new BertEmbeddings(c);
    this.encoder = new ModuleList(Array.from({ length: c.layers }, () => new TransformerEncoderLayer(c.hidden, c.heads, {
      dimFeedforward: c.intermediate, dropout: c.dropout, activation: 'gelu', layerNormEps: c.layerNormEps, batchFirst: true,
    })));
    this.pooler = new BertPooler(c.hidden);
    this.registerModule('mlm_head', new BertLMHead(c, this.embeddings.wordEmbeddings), 'mlmHead');
    this.dropout = new Dropout(c.dropout);
    this.classifier = c.numClasses === undefined ? null : new Linear(c.hidden, c.numClasses);
    this.initWeights();
  }

  /**
   * BERT's initialisation: N(0, 0.02) for every Linear and Embedding weight (the packed q/k/v
   * projection included), zero biases; LayerNorms stay at weight 1, bias 0.
   */
  private initWeights(): void {
    for (const m of this.modules()) {
      if (m instanceof Linear || m instanceof Embedding) init.normal_(m.weight, 0, 0.02);
      if (m instanceof Linear && m.bias) init.zeros_(m.bias);
    }
    for (const layer of this.layers) {
      init.normal_(layer.selfAttn.inProjWeight, 0, 0.02);
      if (layer.selfAttn.inProjBias) init.zeros_(layer.selfAttn.inProjBias);
    }
  }

  get layers(): TransformerEncoderLayer[] {
    return this.encoder.children() as TransformerEncoderLayer[];
  }

  /** ids [B, T] -> the last layer's hidden states [B, T, hidden]. */
  encode(ids: Tensor, inputs: BertInputs = {}): Tensor {
    const where = 'Bert.encode';
    requireTokenIds(ids, where, 'ids');
    if (ids.shape[1] > this.config.maxLength) {
      throw new RangeError(`${where}: sequence length ${ids.shape[1]} exceeds maxLength ${this.config.maxLength}; truncate the input or build the model with a larger maxLength`);
    }
    const types = inputs.tokenTypeIds == null ? null : requireTokenIds(requireSameShape(inputs.tokenTypeIds, ids, where, 'tokenTypeIds'), where, 'tokenTypeIds');
    let x = this.embeddings.forward(ids, types);
    const padding = inputs.attentionMask == null ? null : this.keyPaddingMask(requireSameShape(inputs.attentionMask, ids, where, 'attentionMask'), x.dtype);
    const recompute = this.gradientCheckpointing && this.training;
    for (const layer of this.layers) {
      // The mask goes in as an input so that it lives until backward recomputes the layer.
      x = !recompute ? layer.forward(x, { srcKeyPaddingMask: padding })
        : padding ? checkpoint((h, mask) => layer.forward(h, { srcKeyPaddingMask: mask }), [x, padding])
        : checkpoint((h) => layer.forward(h), [x]);
    }
    return x;
  }

  /**
   * The attention mask (1 = real) as an additive key-padding mask: a large finite negative
   * (rather than -inf, as Hugging Face does) on padded keys, so that an all-padding row gives
   * uniform attention instead of NaN that would poison the whole batch's loss.
   */
  private keyPaddingMask(attentionMask: Tensor, dtype: Tensor['dtype']): Tensor {
    const padded = attentionMask.dtype === 'bool' ? attentionMask.logicalNot() : attentionMask.eq(0);
    return zeros(attentionMask.shape, { dtype, device: attentionMask.device }).maskedFill(padded, dtype === 'float16' ? -1e4 : -1e9);
  }

  /** Same as encode: hidden states [B, T, hidden]. */
  forward(ids: Tensor, inputs: BertInputs = {}): Tensor {
    return this.encode(ids, inputs);
  }

  /** The pooler: dense + tanh on the first ([CLS]) token's hidden state -> [B, hidden]. */
  pool(hidden: Tensor): Tensor {
    return this.pooler.forward(hidden);
  }

  /** Masked-LM logits [B, T, vocabSize] (score every position; the loss picks the masked ones). */
  maskedLmLogits(ids: Tensor, inputs: BertInputs = {}): Tensor {
    return this.mlmHead.forward(this.encode(ids, inputs));
  }

  /** Classification logits [B, numClasses] from the pooled first token. */
  classify(ids: Tensor, inputs: BertInputs = {}): Tensor {
    if (!this.classifier) throw new Error('Bert.classify: this model has no classification head; build it with numClasses in its config');
    return this.classifier.forward(this.dropout.forward(this.pool(this.encode(ids, inputs))));
  }
}

/** The config schema, for checking a run file's model config without building the model (lib/config). */
export { schema as bertConfigSchema };
