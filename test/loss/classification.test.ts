// Per-sample losses (sequence and image classification, multilabel, regression) against the
// same formulas in Python PyTorch: summed values, item counts, sum / count against PyTorch's
// mean reduction, gradients; class weights' normalisation; shape and option errors.
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, losses, torch } from '../../lib/index.js';
import { TaskSpecs } from '../../lib/task/index.js';
import { expectLossParity } from '../helpers/loss-parity.js';
import { TorchPython } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());

const long = (v: number[]) => torch.tensor(v, { dtype: 'int64' });
const leaf = (shape: number[]) => torch.randn(shape).requiresGrad_(true);

describe.skipIf(!py)('seq_classification and image_classification match F.cross_entropy', () => {
  const task = TaskSpecs.sequenceClassification({ numClasses: 4 });

  it('plain: summed over samples, numItems = samples', async () => {
    torch.manualSeed(1);
    const logits = leaf([6, 4]), labels = long([0, 3, 1, 1, 2, 0]);
    const r = await expectLossParity(py!, { strategy: losses.lossForTask(task), task, output: { logits }, batch: { labels }, tensors: { logits, labels },
      py: 'loss = F.cross_entropy(logits, labels, reduction="sum")\nn = 6\nmean = F.cross_entropy(logits, labels)' });
    expect(r.numItems).toBe(6);
    expect(r.logs).toBeUndefined();
  });

  it('label smoothing and class weights: sum / summed weights is nn.CrossEntropyLoss(weight, label_smoothing)\'s mean', async () => {
    torch.manualSeed(2);
    const logits = leaf([7, 4]), labels = long([0, 3, 1, -100, 2, 3, 3]);
    const weights = [1, 0.25, 2, 4];
    const r = await expectLossParity(py!, { strategy: losses.get('seq_classification', { labelSmoothing: 0.1, classWeights: weights }), task, output: { logits }, batch: { labels },
      tensors: { logits, labels, w: torch.tensor(weights) },
      py: `loss = F.cross_entropy(logits, labels, weight=w, label_smoothing=0.1, reduction="sum")
n = w[labels[labels != -100]].sum().item()
mean = nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)(logits, labels)` });
    expect(losses.itemsOf(r.numItems)).toBeCloseTo(1 + 4 + 0.25 + 2 + 4 + 4, 6);
    expect(Object.keys(r.logs!)).toEqual(['targets']);
    expect((r.logs!.targets as Tensor).item()).toBe(6);
  });

  it('weighted normalisation stays exact when the batch is split (sum of sums / sum of weights)', () => {
    torch.manualSeed(3);
    const logits = torch.randn([8, 4]), labels = long([0, 3, 1, 1, 2, 0, 3, 3]);
    const loss = losses.get('seq_classification', { classWeights: [1, 0.25, 2, 4] });
    const whole = loss.computeLoss({ logits }, { labels }, task);
    const parts = [[0, 3], [3, 8]].map(([a, b]) => loss.computeLoss({ logits: logits.index(`${a}:${b}`) }, { labels: labels.index(`${a}:${b}`) }, task));
    const split = parts.reduce((s, p) => s + p.loss.item(), 0) / parts.reduce((s, p) => s + losses.itemsOf(p.numItems), 0);
    expect(split).toBeCloseTo(whole.loss.item() / losses.itemsOf(whole.numItems), 5);
  });

  it('image_classification is the same loss under its own name', async () => {
    torch.manualSeed(4);
    const itask = TaskSpecs.imageClassification({ numClasses: 10 });
    const strategy = losses.lossForTask(itask);
    expect(strategy.name).toBe('image_classification');
    const logits = leaf([5, 10]), labels = long([9, 0, 4, 4, 7]);
    await expectLossParity(py!, { strategy, task: itask, output: { logits }, batch: { labels }, tensors: { logits, labels },
      py: 'loss = F.cross_entropy(logits, labels, reduction="sum")\nn = 5\nmean = F.cross_entropy(logits, labels)' });
  });

  it('errors: logits shape, numClasses, labels, weights, normalizeBy', () => {
    const strategy = losses.get('seq_classification');
    const labels = long([0, 1, 2]);
    expect(() => strategy.computeLoss({ logits: torch.randn([3, 2, 4]) }, { labels }, task)).toThrow(/output\.logits must be \[batch, classes\]/);
    expect(() => strategy.computeLoss({ logits: torch.randn([3, 5]) }, { labels }, task)).toThrow(/has 5 columns but TaskSpec\.numClasses is 4/);
    expect(() => strategy.computeLoss({ logits: torch.randn([3, 4]) }, { labels: long([0, 1]) }, task)).toThrow(/the labels must be \[3\]/);
    expect(() => strategy.computeLoss({ logits: torch.randn([3, 4]) }, { label: labels }, task)).toThrow(/needs labels .* in batch field 'labels'; the batch has label/);
    expect(() => losses.get('seq_classification', { classWeights: [1, 2, 3] }).computeLoss({ logits: torch.randn([3, 4]) }, { labels }, task)).toThrow(/classWeights has 3 entries/);
    const tokens = TaskSpecs.sequenceClassification({ numClasses: 4, normalizeBy: 'tokens' });
    expect(() => strategy.computeLoss({ logits: torch.randn([3, 4]) }, { labels }, tokens)).toThrow(/cannot normalise by 'tokens'.*'samples'/);
  });
});

describe.skipIf(!py)('multilabel matches F.binary_cross_entropy_with_logits', () => {
  const task = TaskSpecs.multilabelClassification({ numClasses: 3 });
  const BCE = (pw: string) => `
loss = F.binary_cross_entropy_with_logits(logits, labels.float(), ${pw}reduction="sum") / 3
n = logits.shape[0]
mean = F.binary_cross_entropy_with_logits(logits, labels.float(), ${pw.replace(/, $/, '')})
`;

  it('a sample\'s loss is the mean over its classes; numItems = samples', async () => {
    torch.manualSeed(5);
    const logits = leaf([4, 3]), labels = torch.tensor([[1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 1, 0]], { dtype: 'int64' });
    const r = await expectLossParity(py!, { strategy: losses.lossForTask(task), task, output: { logits }, batch: { labels }, tensors: { logits, labels }, py: BCE('') });
    expect(r.numItems).toBe(4);
  });

  it('posWeight per class, or one for all', async () => {
    torch.manualSeed(6);
    const logits = leaf([4, 3]), labels = torch.tensor([[1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 1, 0]]);
    await expectLossParity(py!, { strategy: losses.get('multilabel', { posWeight: [2, 0.5, 3] }), task, output: { logits }, batch: { labels },
      tensors: { logits, labels, pw: torch.tensor([2, 0.5, 3]) }, py: BCE('pos_weight=pw, ') });
    const l2 = leaf([4, 3]);
    await expectLossParity(py!, { strategy: losses.get('multilabel', { posWeight: 2 }), task, output: { logits: l2 }, batch: { labels },
      tensors: { logits: l2, labels, pw: torch.tensor([2, 2, 2]) }, py: BCE('pos_weight=pw, ') });
  });

  it('errors', () => {
    const strategy = losses.get('multilabel');
    expect(() => strategy.computeLoss({ logits: torch.randn([4, 3]) }, { labels: torch.ones([4]) }, task)).toThrow(/like the logits \(a 0\/1 target per class\)/);
    expect(() => losses.get('multilabel', { posWeight: [1, 2] }).computeLoss({ logits: torch.randn([4, 3]) }, { labels: torch.ones([4, 3]) }, task)).toThrow(/posWeight has 2 entries/);
    expect(() => losses.get('multilabel', { posWeight: -1 })).toThrow(/posWeight/);
  });
});

describe.skipIf(!py)('regression matches F.mse_loss, l1_loss, huber_loss, smooth_l1_loss', () => {
  const task = TaskSpecs.regression();
  const cases = [
    ['mse', {}, 'F.mse_loss(p, y{r})'],
    ['l1', {}, 'F.l1_loss(p, y{r})'],
    ['huber', { delta: 0.5 }, 'F.huber_loss(p, y{r}, delta=0.5)'],
    ['smooth_l1', { beta: 0.3 }, 'F.smooth_l1_loss(p, y{r}, beta=0.3)'],
  ] as const;

  it.each(cases)('%s with one output per sample ([N] targets, [N, 1] predictions)', async (name, options, expr) => {
    torch.manualSeed(7);
    const p = leaf([6, 1]), y = torch.randn([6]);
    const r = await expectLossParity(py!, { strategy: losses.get(name, options), task, output: { logits: p }, batch: { labels: y }, tensors: { p, y },
      py: `y = y.reshape(6, 1)\nloss = ${expr.replace('{r}', ', reduction="sum"')}\nn = 6\nmean = ${expr.replace('{r}', '')}` });
    expect(r.numItems).toBe(6);
  });

  it.each(cases)('%s with three outputs per sample: a sample\'s loss is the mean over its outputs', async (name, options, expr) => {
    torch.manualSeed(8);
    const p = leaf([5, 3]), y = torch.randn([5, 3]);
    await expectLossParity(py!, { strategy: losses.get(name, options), task, output: { predictions: p }, batch: { labels: y }, tensors: { p, y },
      py: `loss = ${expr.replace('{r}', ', reduction="sum"')} / 3\nn = 5\nmean = ${expr.replace('{r}', '')}` });
  });

  it('errors: mismatched targets, options', () => {
    expect(() => losses.get('mse').computeLoss({ logits: torch.randn([4, 2]) }, { labels: torch.randn([4]) }, task)).toThrow(/targets float32 \[4\] do not match predictions float32 \[4, 2\]/);
    expect(() => losses.get('mse', { delta: 1 })).toThrow(/delta: not an option of 'mse'; it takes no options/);
    expect(() => losses.get('huber', { delta: 0 })).toThrow(/delta: Too small/);
    expect(() => losses.get('smooth_l1', { beta: 'x' })).toThrow(/beta: .*given "x"/);
  });
});

describe('class ids out of range', () => {
  it('name the batch field, the class count and the fix, not the kernel', () => {
    const task = TaskSpecs.sequenceClassification({ numClasses: 3 });
    const logits = torch.randn([2, 3]), labels = torch.tensor([1, 7], { dtype: 'int64' });
    const run = () => losses.lossForTask(task).computeLoss({ logits }, { labels }, task);
    expect(run).toThrow(/batch field 'labels' holds the class id 7, outside \[0, 3\) for logits with 3 classes \(TaskSpec numClasses 3\).*fix:/);
    expect(run).not.toThrow(/summedCrossEntropy/);
    const lm = TaskSpecs.causalLm({ vocabSize: 5 });
    const ids = torch.tensor([[1, 2, 9]], { dtype: 'int64' });
    expect(() => losses.lossForTask(lm).computeLoss({ logits: torch.randn([1, 3, 5]) }, { input_ids: ids }, lm)).toThrow(/'labels' \(or 'input_ids' when the batch has no labels\) holds the class id 9.*vocabSize 5/);
  });
});
