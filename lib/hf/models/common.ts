// Pieces the Hugging Face model families share: transformers' Conv1D (GPT-2's projections,
// whose weight is [in, out], the transpose of nn.Linear's), activations by their config names,
// attention masks as transformers builds them, and what every lib/hf model declares about itself
// (its architecture name, its config, its tied weights) so savePretrained can write it back.
import { type DType } from '../../core/dtype.js';
import { empty, full, zeros } from '../../core/creation.js';
import { type Tensor } from '../../core/tensor.js';
import * as F from '../../nn/functional.js';
import * as init from '../../nn/init.js';
import { Module } from '../../nn/module.js';
import { Parameter } from '../../nn/parameter.js';
import { Embedding } from '../../nn/layers/embedding.js';
import { Linear } from '../../nn/layers/linear.js';
import { requireSameShape, requireTensor, requireTokenIds } from '../../models/inputs.js';
import { type Activation } from '../config.js';

/** The inputs every lib/hf model takes besides input_ids, as transformers names them (camelCased). */
export interface HfInputs {
  /** [batch, seq]: 1 (or true) for real tokens, 0 for padding; padded keys are not attended to. */
  attentionMask?: Tensor | null;
  /** [batch, seq]: the segment of each token (BERT). Default: all 0. */
  tokenTypeIds?: Tensor | null;
}

/** What savePretrained needs from a model: lib/hf's models all implement it. */
export interface PretrainedModel extends Module {
  /** transformers' class name, written to config.json's architectures ('BertForSequenceClassification'). */
  readonly architecture: string;
  /** config.json's fields, as read (plus what the head added, such as id2label). */
  readonly hfConfig: Record<string, unknown>;
  /** Keys that share a tensor with another key (transformers' _tied_weights_keys): target -> source. */
  readonly tiedWeights: Readonly<Record<string, string>>;
  /** The prefix of the base model inside a model with a head ('bert', 'transformer'), or '' for a base model. */
  readonly basePrefix: string;
}

export function isPretrainedModel(value: unknown): value is PretrainedModel {
  return value instanceof Module && typeof (value as unknown as Partial<PretrainedModel>).architecture === 'string'
    && typeof (value as unknown as Partial<PretrainedModel>).hfConfig === 'object';
}

/**
 * transformers' Conv1D: y = x @ weight + bias with weight [in, out]. Kept as its own layer (not an
 * nn.Linear with a transposed weight) so the state dict is GPT-2's bytes as they are on disk.
 */
export class Conv1D extends Module {
  declare weight: Parameter;
  declare bias: Parameter;

  constructor(readonly nx: number, readonly nf: number, std = 0.02) {
    super();
    this.registerParameter('weight', new Parameter(empty([nx, nf])));
    this.registerParameter('bias', new Parameter(zeros([nf])));
    init.normal_(this.weight, 0, std);
  }

  forward(input: Tensor): Tensor {
    return F.linear(input, this.weight.t(), this.bias);
  }

  override extraRepr(): string {
    return `nf=${this.nf}, nx=${this.nx}`;
  }
}

/** An activation by its transformers name (ACT2FN). The gelu_new family is the tanh approximation. */
export function activation(name: Activation): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu': return (x) => F.gelu(x);
    case 'gelu_new': case 'gelu_pytorch_tanh': case 'gelu_fast': return (x) => F.gelu(x, { approximate: 'tanh' });
    case 'relu': return (x) => x.relu();
    case 'silu': case 'swish': return (x) => x.silu();
    case 'tanh': return (x) => x.tanh();
  }
}

/** The most negative finite value of a dtype (torch.finfo(dtype).min): what transformers adds on masked scores. */
export function dtypeMin(dtype: DType): number {
  switch (dtype) {
    case 'float16': return -65504;
    case 'bfloat16': return -3.3895313892515355e38;
    case 'float64': return -1.7976931348623157e308;
    default: return -3.4028234663852886e38;
  }
}

/** attention_mask [B, T] (1 = real) -> an additive [B, 1, 1, T] mask: 0 on real keys, dtype min on padding. */
export function paddingMask(attentionMask: Tensor, dtype: DType): Tensor {
  const padded = attentionMask.dtype === 'bool' ? attentionMask.logicalNot() : attentionMask.eq(0);
  const additive = zeros(attentionMask.shape, { dtype, device: attentionMask.device }).maskedFill(padded, dtypeMin(dtype));
  return additive.unsqueeze(1).unsqueeze(1);
}

/** A causal additive mask [1, 1, T, T]: dtype min above the diagonal (a query cannot see later keys). */
export function causalMask(t: number, dtype: DType, device: string): Tensor {
  return full([t, t], dtypeMin(dtype), { dtype, device }).triu(1).unsqueeze(0).unsqueeze(0);
}

/** input_ids and the optional per-token inputs, checked: ids [B, T] integer, the others the ids' shape. */
export function checkInputs(where: string, inputIds: unknown, inputs: HfInputs | undefined, maxPositions: number): { ids: Tensor; mask: Tensor | null; types: Tensor | null } {
  const ids = requireTokenIds(inputIds, where, 'inputIds');
  if (ids.shape[1] > maxPositions) {
    throw new RangeError(`${where}: sequence length ${ids.shape[1]} exceeds the ${maxPositions} positions of config.json (max_position_embeddings / n_positions); truncate the input`);
  }
  if (inputs !== undefined && (inputs === null || typeof inputs !== 'object')) throw new TypeError(`${where}: the second argument must be an object such as { attentionMask }, got ${String(inputs)}`);
  const mask = inputs?.attentionMask == null ? null : requireSameShape(requireTensor(inputs.attentionMask, where, 'attentionMask'), ids, where, 'attentionMask');
  const types = inputs?.tokenTypeIds == null ? null : requireTokenIds(requireSameShape(inputs.tokenTypeIds, ids, where, 'tokenTypeIds'), where, 'tokenTypeIds');
  return { ids, mask, types };
}

/** transformers' _init_weights for the layers of a new head: N(0, std) weights, zero biases, LayerNorms 1 and 0. */
export function initHead(module: Module, std: number): void {
  for (const m of module.modules()) {
    if (m instanceof Linear) {
      init.normal_(m.weight, 0, std);
      if (m.bias) init.zeros_(m.bias);
    } else if (m instanceof Embedding) init.normal_(m.weight, 0, std);
  }
}

/**
 * A stack of transformer blocks that can recompute each block in backward instead of storing its
 * activations (transformers' supports_gradient_checkpointing: BertEncoder, GPT2Model, LlamaModel).
 */
export interface CheckpointableStack {
  readonly supportsGradientCheckpointing: true;
  /** Recompute each block's activations in backward while training. */
  gradientCheckpointing: boolean;
}

const isCheckpointableStack = (m: unknown): m is CheckpointableStack => (m as Partial<CheckpointableStack>).supportsGradientCheckpointing === true;

/** Turns activation checkpointing on or off in every block stack of a model; returns how many stacks it set. */
export function setGradientCheckpointing(model: Module, enabled: boolean): number {
  let stacks = 0;
  for (const m of model.modules()) {
    if (isCheckpointableStack(m)) {
      m.gradientCheckpointing = enabled;
      stacks++;
    }
  }
  return stacks;
}

/** Whether any block stack of the model recomputes its activations in backward. */
export function isGradientCheckpointing(model: Module): boolean {
  return model.modules().some((m) => isCheckpointableStack(m) && m.gradientCheckpointing);
}

/**
 * The base of lib/hf's model classes: transformers' gradient_checkpointing_enable() /
 * gradient_checkpointing_disable() / is_gradient_checkpointing, camelCased.
 */
export abstract class HfPretrainedModule extends Module {
  /** Recompute each transformer block's activations in backward (nn.checkpoint) while training: less memory, about one more forward per step. */
  gradientCheckpointingEnable(): this {
    setGradientCheckpointing(this, true);
    return this;
  }

  gradientCheckpointingDisable(): this {
    setGradientCheckpointing(this, false);
    return this;
  }

  get isGradientCheckpointing(): boolean {
    return isGradientCheckpointing(this);
  }
}
