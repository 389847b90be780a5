// predict(inputs): a loaded bundle's model on raw inputs in one call, under noGrad, with
// task-shaped answers. Texts (with a tokenizer) are encoded and right-padded into one batch;
// a Tensor is the TaskSpec's inputs field; an object is a batch as the Trainer sees it.
import { noGrad } from '../core/autograd.js';
import { tensor } from '../core/creation.js';
import { scope } from '../core/scope.js';
import { Tensor } from '../core/tensor.js';
import { type Tokenizer } from '../data/tokenizers.js';
import { UniversalAdapter } from '../engine/adapters/adapter.js';
import { type Batch, type ModelOutput } from '../loss/types.js';
import { type Module } from '../nn/module.js';
import { type TaskSpec } from '../task/spec.js';
import { BundleError } from './format.js';

/** Texts (a bundle with a tokenizer), the inputs tensor, or a whole batch ({ input_ids, attention_mask, ... }). */
export type PredictInput = string | string[] | Tensor | Batch;

/**
 * What predict returns, by task. `logits` (and `output`) are tensors the caller owns: dispose()
 * them, or call predict inside torch.scope. For text inputs, row i's real tokens are the first
 * `lengths[i]` positions; later positions are padding and their logits mean nothing.
 */
export type BundlePrediction =
  | { kind: 'classification'; logits: Tensor; classIds: number[]; probabilities: number[][] }
  | { kind: 'multilabel'; logits: Tensor; probabilities: number[][]; classIds: number[][] }
  | { kind: 'token_classification'; logits: Tensor; classIds: number[][]; lengths?: number[] }
  | { kind: 'causal_lm'; logits: Tensor; nextTokenIds: number[]; nextTokenProbabilities: number[]; nextTokens?: string[]; lengths?: number[] }
  | { kind: 'masked_lm'; logits: Tensor; tokenIds: number[][]; lengths?: number[] }
  | { kind: 'regression'; logits: Tensor; values: number[][] }
  | { kind: 'raw'; output: ModelOutput };

const rows = (t: Tensor): number[][] => {
  const flat = t.reshape([t.shape[0], -1]);
  return flat.tolist() as number[][];
};

/** Texts to one [B, T] batch, right-padded (causal models see no padding at real positions), cropped to the model's context. */
function encodeTexts(texts: string[], tokenizer: Tokenizer, task: TaskSpec, model: Module): { batch: Batch; lengths: number[] } {
  if (typeof task.fields.inputs !== 'string') throw new BundleError(`predict: texts need a single inputs field; this task's inputs are ${JSON.stringify(task.fields.inputs)}: pass a batch instead`);
  const context = (model as unknown as { config?: { blockSize?: number; maxLength?: number } }).config;
  const limit = context?.blockSize ?? context?.maxLength;
  const ids = texts.map((text, i) => {
    if (typeof text !== 'string') throw new TypeError(`predict: texts[${i}] must be a string, got ${typeof text}`);
    const encoded = tokenizer.encode(text);
    if (encoded.length === 0) throw new RangeError(`predict: texts[${i}] encodes to no tokens; give at least one character`);
    // A causal LM reads the last tokens of a long text (as generate() does); other models its start.
    if (limit !== undefined && encoded.length > limit) return task.type === 'causal_lm' ? encoded.slice(-limit) : encoded.slice(0, limit);
    return encoded;
  });
  const lengths = ids.map((x) => x.length);
  const width = Math.max(...lengths);
  const pad = task.padTokenId ?? 0;
  const flat = new BigInt64Array(ids.length * width).fill(BigInt(pad));
  const mask = new BigInt64Array(ids.length * width);
  ids.forEach((row, r) => row.forEach((id, c) => {
    flat[r * width + c] = BigInt(id);
    mask[r * width + c] = 1n;
  }));
  const batch: Batch = { [task.fields.inputs]: tensor(flat, { shape: [ids.length, width], dtype: 'int64' }) };
  // The causal LM needs no mask (right padding comes after every real token); others get one when rows differ.
  if (task.type !== 'causal_lm' && lengths.some((n) => n !== width)) batch[task.fields.attentionMask] = tensor(mask, { shape: [ids.length, width], dtype: 'int64' });
  return { batch, lengths };
}

function toBatch(inputs: PredictInput, task: TaskSpec): Batch {
  if (inputs instanceof Tensor) {
    if (typeof task.fields.inputs !== 'string') throw new BundleError(`predict: a tensor fills one inputs field; this task's inputs are ${JSON.stringify(task.fields.inputs)}: pass a batch { ${Object.values(task.fields.inputs).join(', ')} }`);
    return { [task.fields.inputs]: inputs };
  }
  if (inputs && typeof inputs === 'object' && !Array.isArray(inputs)) return inputs as Batch;
  throw new TypeError(`predict: expected texts, a Tensor or a batch object, got ${Array.isArray(inputs) ? 'an array that is not of strings' : typeof inputs}`);
}

/** The model's answer shaped by the task (host reads of the small per-row results only). */
function shape(output: ModelOutput, task: TaskSpec, tokenizer: Tokenizer | undefined, lengths: number[] | undefined): BundlePrediction {
  const logits = output.logits;
  if (!(logits instanceof Tensor)) return { kind: 'raw', output };
  const withLengths = lengths ? { lengths } : {};
  switch (task.type) {
    case 'seq_classification':
    case 'image_classification':
      return { kind: 'classification', logits, classIds: logits.argmax(-1).tolist() as number[], probabilities: logits.softmax(-1).tolist() as number[][] };
    case 'multilabel_classification': {
      const probabilities = logits.sigmoid().tolist() as number[][];
      return { kind: 'multilabel', logits, probabilities, classIds: probabilities.map((p) => p.flatMap((v, i) => (v >= 0.5 ? [i] : []))) };
    }
    case 'token_classification':
      return { kind: 'token_classification', logits, classIds: logits.argmax(-1).tolist() as number[][], ...withLengths };
    case 'masked_lm':
      return { kind: 'masked_lm', logits, tokenIds: logits.argmax(-1).tolist() as number[][], ...withLengths };
    case 'causal_lm': {
      const [b, t] = logits.shape;
      const last = Array.from({ length: b }, (_, i) => (lengths ? lengths[i] : t) - 1);
      const index = tensor(last, { dtype: 'int64', device: logits.device }).reshape([b, 1, 1]).expand([b, 1, logits.shape[2]]);
      const probs = logits.gather(1, index).squeeze(1).softmax(-1);
      const best = probs.max(-1);
      const nextTokenIds = best.indices.tolist() as number[];
      return { kind: 'causal_lm', logits, nextTokenIds, nextTokenProbabilities: best.values.tolist() as number[],
        ...(tokenizer ? { nextTokens: nextTokenIds.map((id) => tokenizer.decode([id])) } : {}), ...withLengths };
    }
    case 'regression':
      return { kind: 'regression', logits, values: rows(logits) };
    default:
      return { kind: 'raw', output };
  }
}

/** Runs the model (in eval mode) on `inputs` without autograd; see BundlePrediction. */
export function predictWith(model: Module, task: TaskSpec, tokenizer: Tokenizer | undefined, inputs: PredictInput): BundlePrediction {
  const adapter = new UniversalAdapter();
  return noGrad(() => scope(() => {
    let batch: Batch;
    let lengths: number[] | undefined;
    if (typeof inputs === 'string' || (Array.isArray(inputs) && inputs.every((x) => typeof x === 'string'))) {
      const texts = typeof inputs === 'string' ? [inputs] : inputs;
      if (texts.length === 0) throw new RangeError('predict: no texts given');
      if (!tokenizer) throw new BundleError('predict: texts need a tokenizer, and this bundle has none; pass token ids as a Tensor (or a batch) instead');
      ({ batch, lengths } = encodeTexts(texts, tokenizer, task, model));
    } else batch = toBatch(inputs, task);
    const device = model.parameters()[0]?.device;
    if (device && device !== 'cpu') batch = Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, v instanceof Tensor ? v.to(device) : v]));
    return shape(adapter.forward(model, batch, task), task, tokenizer, lengths);
  }));
}
