// Metric names in a TaskSpec are checked when it is parsed: an unknown or misspelt name, or one
// of another task type, is an error listing the names that task type knows (no silent drop).
import { describe, expect, it } from 'vitest';
import { metrics } from '../../lib/index.js';
import { parseTaskSpec, TaskSpecError, TaskSpecs } from '../../lib/task/index.js';

const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(TaskSpecError);
    return (err as Error).message;
  }
  throw new Error('expected a TaskSpecError');
};

describe('TaskSpec metric names', () => {
  it('a misspelt name is an error with the nearest name and the known ones', () => {
    const message = errorOf(() => TaskSpecs.sequenceClassification({ numClasses: 3, metrics: ['loss', 'acuracy'] }));
    expect(message).toMatch(/metrics\[1\]: did you mean 'accuracy'\?; given 'acuracy'/);
    expect(message).toMatch(/use one of loss, accuracy, precision, .*f1_macro, f1_micro.*top<k>_accuracy/);
  });

  it('a name of another task type says whose it is', () => {
    const message = errorOf(() => TaskSpecs.imageClassification({ numClasses: 10, metrics: ['mae'] }));
    expect(message).toMatch(/'mae' is a metric of regression tasks, not of image_classification/);
    expect(errorOf(() => TaskSpecs.regression({ metrics: ['recall@5'] }))).toMatch(/of contrastive tasks/);
    expect(errorOf(() => TaskSpecs.contrastive({ metrics: ['top5_accuracy'] }))).toMatch(/top5_accuracy' is a metric of causal_lm, masked_lm/);
  });

  it('checks k and the binary names against the classes', () => {
    expect(errorOf(() => TaskSpecs.sequenceClassification({ numClasses: 3, metrics: ['top5_accuracy'] }))).toMatch(/top 5 of 3 classes/);
    expect(errorOf(() => TaskSpecs.sequenceClassification({ numClasses: 3, metrics: ['f1_binary'] }))).toMatch(/needs numClasses 2.*use 'f1_macro'/);
    expect(errorOf(() => TaskSpecs.contrastive({ metrics: ['recall@0'] }))).toMatch(/k >= 1/);
  });

  it('accepts every documented name of each task type', () => {
    const ok = {
      seq_classification: { numClasses: 2, metrics: ['loss', 'accuracy', 'top2_accuracy', 'f1', 'f1_macro', 'f1_micro', 'f1_binary', 'precision_binary', 'recall_micro'] },
      multilabel_classification: { numClasses: 4, metrics: ['loss', 'accuracy', 'precision_macro', 'recall_micro', 'f1'] },
      regression: { metrics: ['loss', 'mse', 'rmse', 'mae', 'r2'] },
      causal_lm: { vocabSize: 50, metrics: ['loss', 'perplexity', 'accuracy', 'top5_accuracy'] },
      contrastive: { metrics: ['loss', 'recall@1', 'recall@5'] },
    };
    for (const [type, o] of Object.entries(ok)) expect(parseTaskSpec({ type, ...o }).metrics).toEqual(o.metrics);
    // The defaults pass their own check.
    for (const type of Object.keys(metrics.METRIC_NAMES)) {
      const spec = parseTaskSpec({ type, numClasses: 3, vocabSize: 10, maskTokenId: 1 });
      expect(metrics.metricNameIssues(type, spec.metrics, 3)).toEqual([]);
    }
  });
});
