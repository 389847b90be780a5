// The BERT family as transformers lays it out (BertModel, BertForSequenceClassification,
// BertForMaskedLM), so a Hugging Face checkpoint loads by name and PEFT-style target names
// match: bert.encoder.layer.0.attention.self.query.weight and so on.
import { arange, zeros } from '../../core/creation.js';
import { type Tensor } from '../../core/tensor.js';
import { Module } from '../../nn/module.js';
import { Parameter } from '../../nn/parameter.js';
import { Dropout } from '../../nn/layers/activation.js';
import { ModuleList } from '../../nn/layers/container.js';
import { Embedding } from '../../nn/layers/embedding.js';
import { Linear } from '../../nn/layers/linear.js';
import { LayerNorm } from '../../nn/layers/normalization.js';
import * as F from '../../nn/functional.js';
import { lookup } from '../../models/inputs.js';
import { type BertHfConfig, numLabelsOf } from '../config.js';
import { checkpoint } from '../../nn/checkpoint.js';
import { activation, checkInputs, type CheckpointableStack, type HfInputs, HfPretrainedModule, initHead, paddingMask, type PretrainedModel } from './common.js';

export class BertEmbeddings extends Module {
  declare wordEmbeddings: Embedding;
  declare positionEmbeddings: Embedding;
  declare tokenTypeEmbeddings: Embedding;
  declare layerNorm: LayerNorm;
  declare dropout: Dropout;

  constructor(readonly config: BertHfConfig) {
    super();
    const c = config;
    this.registerModule('word_embeddings', new Embedding(c.vocab_size, c.hidden_size, { paddingIdx: c.pad_token_id ?? null }), 'wordEmbeddings');
    this.registerModule('position_embeddings', new Embedding(c.max_position_embeddings, c.hidden_size), 'positionEmbeddings');
    this.registerModule('token_type_embeddings', new Embedding(c.type_vocab_size, c.hidden_size), 'tokenTypeEmbeddings');
    this.registerModule('LayerNorm', new LayerNorm(c.hidden_size, { eps: c.layer_norm_eps }), 'layerNorm');
    this.dropout = new Dropout(c.hidden_dropout_prob);
  }

  forward(ids: Tensor, tokenTypeIds: Tensor | null): Tensor {
    const t = ids.shape[1];
    const words = lookup(this.wordEmbeddings, ids, 'BertEmbeddings', 'inputIds', 'vocab_size');
    const positions = this.positionEmbeddings.forward(arange(t, { device: ids.device }));
    const types = tokenTypeIds
      ? lookup(this.tokenTypeEmbeddings, tokenTypeIds, 'BertEmbeddings', 'tokenTypeIds', 'type_vocab_size')
      : this.tokenTypeEmbeddings.forward(zeros([1, t], { dtype: 'int64', device: ids.device }));
    return this.dropout.forward(this.layerNorm.forward(words.add(types).add(positions)));
  }
}

export class BertSelfAttention extends Module {
  declare query: Linear;
  declare key: Linear;
  declare value: Linear;
  declare dropout: Dropout;
  readonly heads: number;

  constructor(config: BertHfConfig) {
    super();
    const h = config.hidden_size;
    this.heads = config.num_attention_heads;
    this.query = new Linear(h, h);
    this.key = new Linear(h, h);
    this.value = new Linear(h, h);
    this.dropout = new Dropout(config.attention_probs_dropout_prob);
  }

  /** [B, T, hidden] -> [B, heads, T, headDim]. */
  private split(x: Tensor): Tensor {
    const [b, t, h] = x.shape as [number, number, number];
    return x.view(b, t, this.heads, h / this.heads).transpose(1, 2);
  }

  forward(hidden: Tensor, mask: Tensor | null): Tensor {
    const [b, t, h] = hidden.shape as [number, number, number];
    const q = this.split(this.query.forward(hidden)), k = this.split(this.key.forward(hidden)), v = this.split(this.value.forward(hidden));
    const out = F.scaledDotProductAttention(q, k, v, { attnMask: mask, dropoutP: this.training ? this.dropout.p : 0 });
    return out.transpose(1, 2).reshape(b, t, h);
  }
}

/** A dense projection, dropout, then LayerNorm over the residual: BertSelfOutput and BertOutput. */
export class BertResidualOutput extends Module {
  declare dense: Linear;
  declare layerNorm: LayerNorm;
  declare dropout: Dropout;

  constructor(config: BertHfConfig, inFeatures: number) {
    super();
    this.dense = new Linear(inFeatures, config.hidden_size);
    this.registerModule('LayerNorm', new LayerNorm(config.hidden_size, { eps: config.layer_norm_eps }), 'layerNorm');
    this.dropout = new Dropout(config.hidden_dropout_prob);
  }

  forward(hidden: Tensor, residual: Tensor): Tensor {
    return this.layerNorm.forward(this.dropout.forward(this.dense.forward(hidden)).add(residual));
  }
}

export class BertAttention extends Module {
  declare selfAttention: BertSelfAttention;
  declare output: BertResidualOutput;

  constructor(config: BertHfConfig) {
    super();
    this.registerModule('self', new BertSelfAttention(config), 'selfAttention');
    this.output = new BertResidualOutput(config, config.hidden_size);
  }

  forward(hidden: Tensor, mask: Tensor | null): Tensor {
    return this.output.forward(this.selfAttention.forward(hidden, mask), hidden);
  }
}

export class BertIntermediate extends Module {
  declare dense: Linear;
  declare private readonly act: (x: Tensor) => Tensor;

  constructor(config: BertHfConfig) {
    super();
    this.dense = new Linear(config.hidden_size, config.intermediate_size);
    Object.defineProperty(this, 'act', { value: activation(config.hidden_act), enumerable: false });
  }

  forward(hidden: Tensor): Tensor {
    return this.act(this.dense.forward(hidden));
  }
}

export class BertLayer extends Module {
  declare attention: BertAttention;
  declare intermediate: BertIntermediate;
  declare output: BertResidualOutput;

  constructor(config: BertHfConfig) {
    super();
    this.attention = new BertAttention(config);
    this.intermediate = new BertIntermediate(config);
    this.output = new BertResidualOutput(config, config.intermediate_size);
  }

  forward(hidden: Tensor, mask: Tensor | null): Tensor {
    const attended = this.attention.forward(hidden, mask);
    return this.output.forward(this.intermediate.forward(attended), attended);
  }
}

export class BertEncoder extends Module implements CheckpointableStack {
  declare layer: ModuleList;
  readonly supportsGradientCheckpointing = true;
  gradientCheckpointing = false;

  constructor(config: BertHfConfig) {
    super();
    this.layer = new ModuleList(Array.from({ length: config.num_hidden_layers }, () => new BertLayer(config)));
  }

  forward(hidden: Tensor, mask: Tensor | null): Tensor {
    const recompute = this.gradientCheckpointing && this.training;
    let x = hidden;
    for (const layer of this.layer.children() as BertLayer[]) {
      // The mask is an input of the checkpoint so that it lives until the recomputation in backward.
      x = !recompute ? layer.forward(x, mask)
        : mask ? checkpoint((h, m) => layer.forward(h, m), [x, mask])
        : checkpoint((h) => layer.forward(h, null), [x]);
    }
    return x;
  }
}

export class BertPooler extends Module {
  declare dense: Linear;

  constructor(config: BertHfConfig) {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size);
  }

  forward(hidden: Tensor): Tensor {
    return this.dense.forward(hidden.select(1, 0)).tanh();
  }
}

export interface BertModelOutput {
  /** The last layer's hidden states [B, T, hidden_size]. */
  lastHiddenState: Tensor;
  /** dense + tanh on the first ([CLS]) token [B, hidden_size]; null without a pooler. */
  poolerOutput: Tensor | null;
}

/** transformers' BertModel: embeddings, encoder.layer.N, and (by default) the pooler. */
export class BertModel extends HfPretrainedModule implements PretrainedModel {
  readonly architecture = 'BertModel';
  readonly tiedWeights = {};
  readonly basePrefix = '';
  declare embeddings: BertEmbeddings;
  declare encoder: BertEncoder;
  declare pooler: BertPooler | null;

  constructor(readonly config: BertHfConfig, options: { addPoolingLayer?: boolean } = {}) {
    super();
    this.embeddings = new BertEmbeddings(config);
    this.encoder = new BertEncoder(config);
    this.registerModule('pooler', options.addPoolingLayer === false ? null : new BertPooler(config));
  }

  get hfConfig(): Record<string, unknown> {
    return this.config;
  }

  /** inputIds [B, T] -> { lastHiddenState, poolerOutput }. */
  forward(inputIds: Tensor, inputs?: HfInputs): BertModelOutput {
    const { ids, mask, types } = checkInputs(`${this.architecture}.forward`, inputIds, inputs, this.config.max_position_embeddings);
    const x = this.embeddings.forward(ids, types);
    const hidden = this.encoder.forward(x, mask ? paddingMask(mask, x.dtype) : null);
    return { lastHiddenState: hidden, poolerOutput: this.pooler ? this.pooler.forward(hidden) : null };
  }
}

/** transformers' BertForSequenceClassification: bert (with pooler), dropout, classifier -> logits [B, num_labels]. */
export class BertForSequenceClassification extends HfPretrainedModule implements PretrainedModel {
  readonly architecture = 'BertForSequenceClassification';
  readonly tiedWeights = {};
  readonly basePrefix = 'bert';
  declare bert: BertModel;
  declare dropout: Dropout;
  declare classifier: Linear;
  readonly numLabels: number;

  constructor(readonly config: BertHfConfig) {
    super();
    this.numLabels = numLabelsOf(config);
    this.bert = new BertModel(config);
    this.dropout = new Dropout(config.classifier_dropout ?? config.hidden_dropout_prob);
    this.classifier = new Linear(config.hidden_size, this.numLabels);
    initHead(this.classifier, config.initializer_range);
  }

  get hfConfig(): Record<string, unknown> {
    const id2label = this.config.id2label ?? Object.fromEntries(Array.from({ length: this.numLabels }, (_, i) => [String(i), `LABEL_${i}`]));
    const label2id = this.config.label2id ?? Object.fromEntries(Object.entries(id2label).map(([i, l]) => [l, Number(i)]));
    const { num_labels: _dropped, ...rest } = this.config;
    return { ...rest, id2label, label2id };
  }

  /** inputIds [B, T] -> logits [B, num_labels]. (Two declared parameters: the Trainer's adapter passes the attention mask.) */
  forward(inputIds: Tensor, inputs?: HfInputs): Tensor {
    const pooled = this.bert.forward(inputIds, inputs).poolerOutput!;
    return this.classifier.forward(this.dropout.forward(pooled));
  }
}

/** cls.predictions: transform (dense, act, LayerNorm), then the decoder tied to the word embeddings, plus bias. */
export class BertLMPredictionHead extends Module {
  declare transform: BertPredictionHeadTransform;
  declare decoder: Linear;
  declare bias: Parameter;

  constructor(config: BertHfConfig, wordEmbeddings: Embedding) {
    super();
    this.transform = new BertPredictionHeadTransform(config);
    this.decoder = new Linear(config.hidden_size, config.vocab_size);
    initHead(this, config.initializer_range);
    // Tied as transformers ties them: the decoder's weight IS the word embedding, its bias IS cls.predictions.bias.
    this.decoder.weight.dispose();
    this.decoder.weight = wordEmbeddings.weight;
    this.decoder.bias!.dispose();
    this.bias = new Parameter(zeros([config.vocab_size]));
    this.decoder.bias = this.bias;
  }

  forward(hidden: Tensor): Tensor {
    return this.decoder.forward(this.transform.forward(hidden));
  }
}

export class BertPredictionHeadTransform extends Module {
  declare dense: Linear;
  declare layerNorm: LayerNorm;
  declare private readonly act: (x: Tensor) => Tensor;

  constructor(config: BertHfConfig) {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size);
    this.registerModule('LayerNorm', new LayerNorm(config.hidden_size, { eps: config.layer_norm_eps }), 'layerNorm');
    Object.defineProperty(this, 'act', { value: activation(config.hidden_act), enumerable: false });
  }

  forward(hidden: Tensor): Tensor {
    return this.layerNorm.forward(this.act(this.dense.forward(hidden)));
  }
}

class BertOnlyMLMHead extends Module {
  declare predictions: BertLMPredictionHead;

  constructor(config: BertHfConfig, wordEmbeddings: Embedding) {
    super();
    this.predictions = new BertLMPredictionHead(config, wordEmbeddings);
  }

  forward(hidden: Tensor): Tensor {
    return this.predictions.forward(hidden);
  }
}

/** transformers' BertForMaskedLM: bert (no pooler) and cls.predictions -> logits [B, T, vocab_size]. */
export class BertForMaskedLM extends HfPretrainedModule implements PretrainedModel {
  readonly architecture = 'BertForMaskedLM';
  readonly tiedWeights = { 'cls.predictions.decoder.weight': 'bert.embeddings.word_embeddings.weight', 'cls.predictions.decoder.bias': 'cls.predictions.bias' };
  readonly basePrefix = 'bert';
  declare bert: BertModel;
  declare cls: BertOnlyMLMHead;

  constructor(readonly config: BertHfConfig) {
    super();
    this.bert = new BertModel(config, { addPoolingLayer: false });
    this.cls = new BertOnlyMLMHead(config, this.bert.embeddings.wordEmbeddings);
  }

  get hfConfig(): Record<string, unknown> {
    return this.config;
  }

  /** inputIds [B, T] -> logits [B, T, vocab_size] (every position; the loss picks the masked ones). */
  forward(inputIds: Tensor, inputs?: HfInputs): Tensor {
    return this.cls.forward(this.bert.forward(inputIds, inputs).lastHiddenState);
  }
}
