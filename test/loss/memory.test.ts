// Every built-in frees its intermediates when it returns (each runs in its own tensor scope):
// inside a training step only the inputs and what the result returns (the loss, and the item
// count and logged values it leaves on the device) stay alive, so a long run holds a flat
// memory line. Counted with torch.memory() around each call.
import { describe, expect, it } from 'vitest';
import { losses, torch } from '../../lib/index.js';
import { type Batch, type ModelOutput } from '../../lib/loss/index.js';
import { type TaskSpec, TaskSpecs } from '../../lib/task/index.js';

const long = (rows: number[][]) => torch.tensor(rows, { dtype: 'int64' });

function calls(): [string, Record<string, unknown>, () => [ModelOutput, Batch], TaskSpec][] {
  const contrastive = TaskSpecs.contrastive();
  const twoViews = (): [ModelOutput, Batch] => [{ views: [torch.randn([4, 3]), torch.randn([4, 3])] }, { labels: long([[0, 1, 0, 1]]).reshape(-1) }];
  return [
    ['causal_lm', {}, () => [{ logits: torch.randn([2, 4, 5]) }, { input_ids: long([[1, 2, 3, 0], [4, 0, 0, 0]]), attention_mask: long([[1, 1, 1, 0], [1, 0, 0, 0]]) }], TaskSpecs.causalLm({ vocabSize: 5 })],
    ['masked_lm', {}, () => [{ logits: torch.randn([1, 3, 5]) }, { labels: long([[-100, 2, -100]]) }], TaskSpecs.maskedLm({ vocabSize: 5, maskTokenId: 4 })],
    ['token_classification', { classWeights: [1, 2] }, () => [{ logits: torch.randn([1, 3, 2]) }, { labels: long([[0, 1, -100]]) }], TaskSpecs.tokenClassification({ numClasses: 2 })],
    ['seq_classification', { labelSmoothing: 0.1 }, () => [{ logits: torch.randn([3, 2]) }, { labels: long([[0, 1, 1]]).reshape(-1) }], TaskSpecs.sequenceClassification({ numClasses: 2 })],
    ['multilabel', { posWeight: 2 }, () => [{ logits: torch.randn([3, 2]) }, { labels: torch.ones([3, 2]) }], TaskSpecs.multilabelClassification({ numClasses: 2 })],
    ['huber', {}, () => [{ logits: torch.randn([3]) }, { labels: torch.randn([3]) }], TaskSpecs.regression()],
    ['clip', {}, () => [{ imageEmbeds: torch.randn([4, 3]), textEmbeds: torch.randn([4, 3]), logitScale: torch.tensor(2) }, {}], contrastive],
    ['simclr', {}, twoViews, contrastive],
    ['supcon', {}, twoViews, contrastive],
    ['vicreg', {}, twoViews, contrastive],
    ['barlow_twins', {}, twoViews, contrastive],
  ];
}

describe('losses free their intermediates', () => {
  it.each(calls())('%s leaves only what it returns', (name, options, make, task) => {
    const strategy = losses.get(name, options);
    torch.scope(() => {
      const [output, batch] = make();
      const before = torch.memory().tensors;
      const r = strategy.computeLoss(output, batch, task);
      const returned = [r.loss, r.numItems, ...Object.values(r.logs ?? {})].filter((v) => typeof v !== 'number');
      expect(torch.memory().tensors - before).toBe(returned.length);
      expect(r.loss.ndim).toBe(0);
    });
  });
});
