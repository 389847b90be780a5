// The metric names a TaskSpec may list, per task type, and what each one means. Checked when a
// TaskSpec is parsed (lib/task/spec.ts), so a misspelt name ('acuracy') or one that does not
// apply to the task ('mae' on a classifier) is an error there instead of a metric that silently
// never appears. Kept free of imports from lib/task so the spec can import it.
import { nearestName } from '../core/validation.js';

/** Precision, recall and F1 under each averaging (sklearn's `average=`). */
const PRF = ['precision', 'recall', 'f1'].flatMap((m) => [m, `${m}_macro`, `${m}_micro`]);
const PRF_BINARY = ['precision_binary', 'recall_binary', 'f1_binary'];

const SINGLE_LABEL = ['loss', 'accuracy', ...PRF, ...PRF_BINARY];
const LM = ['loss', 'perplexity', 'accuracy'];

/** The fixed names per task type; top<k>_accuracy and recall@<k> are patterns (below). */
export const METRIC_NAMES: Record<string, readonly string[]> = {
  causal_lm: LM,
  masked_lm: LM,
  seq_classification: SINGLE_LABEL,
  image_classification: SINGLE_LABEL,
  token_classification: SINGLE_LABEL,
  multilabel_classification: ['loss', 'accuracy', ...PRF],
  regression: ['loss', 'mse', 'rmse', 'mae', 'r2'],
  contrastive: ['loss'],
};

/** Task types that take `top<k>_accuracy` (k >= 1) and those that take `recall@<k>`. */
const TOP_K_TASKS = new Set(['causal_lm', 'masked_lm', 'seq_classification', 'image_classification', 'token_classification']);
const RECALL_AT_K_TASKS = new Set(['contrastive']);

const TOP_K = /^top(\d+)_accuracy$/;
const RECALL_AT = /^recall@(\d+)$/;

/** k of 'top5_accuracy', or null. */
export function topK(name: string): number | null {
  const m = TOP_K.exec(name);
  return m ? Number(m[1]) : null;
}

/** k of 'recall@5', or null. */
export function recallAtK(name: string): number | null {
  const m = RECALL_AT.exec(name);
  return m ? Number(m[1]) : null;
}

/** Every name a task type accepts, the patterns written as e.g. 'top<k>_accuracy'. */
export function knownMetricNames(taskType: string): string[] {
  const names = [...(METRIC_NAMES[taskType] ?? ['loss'])];
  if (TOP_K_TASKS.has(taskType)) names.push('top<k>_accuracy');
  if (RECALL_AT_K_TASKS.has(taskType)) names.push('recall@<k>');
  return names;
}

/**
 * Problems with a TaskSpec's metric names, as "field: what, given, fix" lines (empty: all fine).
 * `classes` is numClasses (classification) or vocabSize (language models) when known.
 */
export function metricNameIssues(taskType: string, names: readonly string[], classes?: number): string[] {
  const fixed = METRIC_NAMES[taskType] ?? ['loss'];
  const known = knownMetricNames(taskType);
  const issues: string[] = [];
  names.forEach((name, i) => {
    const where = `metrics[${i}]`;
    const k = topK(name) ?? recallAtK(name);
    if (fixed.includes(name)) {
      if (PRF_BINARY.includes(name) && classes !== undefined && classes !== 2) {
        issues.push(`${where}: '${name}' is binary precision/recall/F1 of the positive class 1, which needs numClasses 2; given numClasses ${classes}; fix: use '${name.replace('_binary', '_macro')}' or '${name.replace('_binary', '_micro')}'`);
      }
      return;
    }
    if (topK(name) !== null && TOP_K_TASKS.has(taskType)) {
      if (k! < 1) issues.push(`${where}: top-k accuracy needs k >= 1; given '${name}'; fix: e.g. 'top5_accuracy'`);
      else if (classes !== undefined && k! > classes) issues.push(`${where}: '${name}' asks for the top ${k} of ${classes} classes; fix: use a k of at most ${classes}`);
      return;
    }
    if (recallAtK(name) !== null && RECALL_AT_K_TASKS.has(taskType)) {
      if (k! < 1) issues.push(`${where}: recall@k needs k >= 1; given '${name}'; fix: e.g. 'recall@5'`);
      return;
    }
    const elsewhere = Object.keys(METRIC_NAMES).filter((t) => knownMetricNames(t).includes(name) || (topK(name) !== null && TOP_K_TASKS.has(t)) || (recallAtK(name) !== null && RECALL_AT_K_TASKS.has(t)));
    const nearest = nearestName(name, fixed);
    const hint = elsewhere.length ? `'${name}' is a metric of ${elsewhere.join(', ')} tasks, not of ${taskType}` : nearest ? `did you mean '${nearest}'?` : `unknown metric '${name}'`;
    issues.push(`${where}: ${hint}; given '${name}'; fix: use one of ${known.join(', ')}`);
  });
  return issues;
}
