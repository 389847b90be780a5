// Per-batch counts behind accuracy, F1 and recall@1, computed without grad from a model output
// and its batch and READ TO THE HOST (several reads per batch). The engine no longer uses this:
// MetricsTracker.update() counts on the device (batch-stats.ts) and reads once per interval.
// Kept for callers that want one batch's counts as numbers.
import { noGrad } from '../core/autograd.js';
import { arange } from '../core/creation.js';
import { Tensor } from '../core/tensor.js';
import { type Batch, type ModelOutput } from '../loss/types.js';
import { type TaskSpec } from '../task/spec.js';
import { labelsOf } from './batch-stats.js';

export interface BatchCounts {
  correct: number;
  total: number;
  /** Per-class true positives, false positives and false negatives (classification F1). */
  tp?: number[];
  fp?: number[];
  fn?: number[];
}

function perClass(pred: Tensor, target: Tensor, classes: number): Pick<BatchCounts, 'tp' | 'fp' | 'fn'> {
  const p = Array.from(pred.data(), Number), t = Array.from(target.data(), Number);
  const tp = new Array(classes).fill(0), fp = new Array(classes).fill(0), fn = new Array(classes).fill(0);
  for (let i = 0; i < p.length; i++) {
    if (p[i] === t[i]) tp[t[i]]++;
    else {
      if (p[i] >= 0 && p[i] < classes) fp[p[i]]++;
      if (t[i] >= 0 && t[i] < classes) fn[t[i]]++;
    }
  }
  return { tp, fp, fn };
}

/** The counts for one batch, or null when the task has no count-based metric (regression). */
export function batchCounts(output: ModelOutput, batch: Batch, task: TaskSpec): BatchCounts | null {
  return noGrad(() => {
    if (task.type === 'contrastive') {
      const a = output.imageEmbeds, b = output.textEmbeds;
      if (!(a instanceof Tensor) || !(b instanceof Tensor)) return null;
      const hits = a.matmul(b.t()).argmax(1).eq(arange(a.shape[0], { device: a.device })).sum().item();
      return { correct: hits, total: a.shape[0] };
    }
    const logits = output.logits, labels = labelsOf(batch, task);
    if (!(logits instanceof Tensor) || !labels) return null;
    if (task.type === 'regression') return null;
    if (task.type === 'multilabel_classification') {
      const pred = logits.gt(0), target = labels.gt(0.5);
      const tp = pred.logicalAnd(target).sum().item(), fp = pred.logicalAnd(target.logicalNot()).sum().item(), fn = pred.logicalNot().logicalAnd(target).sum().item();
      return { correct: pred.eq(target).sum().item(), total: target.numel(), tp: [tp], fp: [fp], fn: [fn] };
    }
    let l = logits, y = labels;
    if (task.type === 'causal_lm') {
      l = logits.narrow(1, 0, logits.shape[1] - 1);
      y = labels.narrow(1, 1, labels.shape[1] - 1);
    }
    const pred = l.argmax(-1);
    const keep = y.ne(task.ignoreIndex);
    const correct = pred.eq(y).logicalAnd(keep).sum().item();
    const total = keep.sum().item();
    const classification = task.type === 'seq_classification' || task.type === 'image_classification';
    return classification && task.numClasses ? { correct, total, ...perClass(pred, y, task.numClasses) } : { correct, total };
  });
}
