// One batch's statistics behind the task metrics, computed ON THE DEVICE without grad and added
// to DeviceCounters: no host read per batch (on CUDA each read would stall the device). What is
// counted depends on the metrics asked for (MetricPlan):
//   single-label classification (sequence, image, token) and language models:
//     'correct', 'total' (non-ignored targets), 'top<k>' hits, and for classification with
//     numClasses the confusion matrix as a histogram of label * C + prediction ('confusion',
//     C*C bins plus one bin for ignored or out-of-range targets)
//   multi-label: per-label 'tp', 'fp', 'fn' ([C]), element 'correct' and 'total'
//   regression: per-output sums of squared and absolute errors, of targets and squared targets, and 'n'
//   contrastive: 'recall@<k>' hits (image i's own text among its k most similar) and 'total' pairs
import { noGrad } from '../core/autograd.js';
import { arange } from '../core/creation.js';
import { where } from '../core/functions.js';
import { Tensor } from '../core/tensor.js';
import { type Batch, type ModelOutput } from '../loss/types.js';
import { type TaskSpec } from '../task/spec.js';
import { type DeviceCounters } from './device-counters.js';
import { recallAtK, topK } from './names.js';

/** What to count for a task's metrics, worked out once from the metric names. */
export interface MetricPlan {
  topK: number[];
  recallAtK: number[];
  /** Count the confusion matrix (single-label classification with numClasses). */
  confusion: boolean;
}

const SINGLE_LABEL = new Set(['seq_classification', 'image_classification', 'token_classification']);

export function planMetrics(metrics: readonly string[], task: Pick<TaskSpec, 'type' | 'numClasses'> | null): MetricPlan {
  const ks = (f: (n: string) => number | null) => [...new Set(metrics.map(f).filter((k): k is number => k !== null))];
  return {
    topK: ks(topK),
    recallAtK: ks(recallAtK),
    confusion: task !== null && SINGLE_LABEL.has(task.type) && task.numClasses !== undefined,
  };
}

/** The batch's targets: the labels field, or for a causal LM without one its input ids. */
export function labelsOf(batch: Batch, task: TaskSpec): Tensor | null {
  const labels = batch[task.fields.labels];
  if (labels instanceof Tensor) return labels;
  if (task.type === 'causal_lm' && typeof task.fields.inputs === 'string' && batch[task.fields.inputs] instanceof Tensor) return batch[task.fields.inputs] as Tensor;
  return null;
}

function singleLabel(logits: Tensor, labels: Tensor, task: TaskSpec, plan: MetricPlan, into: DeviceCounters): void {
  let l = logits, y = labels;
  if (task.type === 'causal_lm') {
    l = logits.narrow(1, 0, logits.shape[1] - 1);
    y = labels.narrow(1, 1, labels.shape[1] - 1);
  }
  const classes = l.shape[l.ndim - 1];
  l = l.reshape(-1, classes);
  y = y.reshape(-1).to('int64');
  const pred = l.argmax(-1);
  const keep = y.ne(task.ignoreIndex);
  into.add('correct', pred.eq(y).logicalAnd(keep).sum());
  into.add('total', keep.sum());
  for (const k of plan.topK) {
    const hits = l.topk(Math.min(k, classes), -1).indices.eq(y.unsqueeze(-1)).any(-1).logicalAnd(keep);
    into.add(`top${k}`, hits.sum());
  }
  if (plan.confusion && task.numClasses !== undefined) {
    const c = task.numClasses;
    const valid = keep.logicalAnd(y.ge(0)).logicalAnd(y.lt(c)).logicalAnd(pred.lt(c));
    into.count('confusion', c * c + 1, where(valid, y.mul(c).add(pred), c * c));
  }
}

function multiLabel(logits: Tensor, labels: Tensor, into: DeviceCounters): void {
  const classes = logits.shape[logits.ndim - 1];
  const pred = logits.gt(0).reshape(-1, classes), target = labels.gt(0.5).reshape(-1, classes);
  into.add('tp', pred.logicalAnd(target).sum(0));
  into.add('fp', pred.logicalAnd(target.logicalNot()).sum(0));
  into.add('fn', pred.logicalNot().logicalAnd(target).sum(0));
  into.add('correct', pred.eq(target).sum());
  into.add('total', target.numel());
}

function regression(output: ModelOutput, labels: Tensor, into: DeviceCounters): void {
  const raw = output.logits ?? output.predictions;
  if (!(raw instanceof Tensor) || raw.ndim === 0 || raw.numel() !== labels.numel()) return;
  const n = raw.shape[0];
  const pred = raw.reshape(n, -1).to('float64'), target = labels.reshape(n, -1).to('float64');
  const err = pred.sub(target);
  into.add('sse', err.square().sum(0));
  into.add('sae', err.abs().sum(0));
  into.add('sy', target.sum(0));
  into.add('syy', target.square().sum(0));
  into.add('n', n);
}

function contrastive(output: ModelOutput, plan: MetricPlan, into: DeviceCounters): void {
  const a = output.imageEmbeds, b = output.textEmbeds;
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) return;
  const n = a.shape[0];
  const sim = a.matmul(b.t());
  const own = arange(n, { device: a.device }).unsqueeze(1);
  for (const k of plan.recallAtK) into.add(`recall@${k}`, sim.topk(Math.min(k, n), 1).indices.eq(own).any(1).sum());
  into.add('total', n);
}

/** Adds one batch's statistics to the counters (device ops only; call inside a tensor scope). */
export function addBatchStats(output: ModelOutput, batch: Batch, task: TaskSpec, plan: MetricPlan, into: DeviceCounters): void {
  noGrad(() => {
    if (task.type === 'contrastive') return contrastive(output, plan, into);
    const labels = labelsOf(batch, task);
    if (!labels) return;
    if (task.type === 'regression') return regression(output, labels, into);
    const logits = output.logits;
    if (!(logits instanceof Tensor)) return;
    if (task.type === 'multilabel_classification') return multiLabel(logits, labels, into);
    singleLabel(logits, labels, task, plan, into);
  });
}
