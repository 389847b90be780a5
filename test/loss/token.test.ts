// Token losses (causal LM, masked LM, token classification) against the same formulas in
// Python PyTorch (values, item counts, gradients), the causal shift, ignoreIndex, labels taken
// from the inputs with padding masked, the float32 upcast, and the errors.
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, losses, nn, torch } from '../../lib/index.js';

const { itemsOf } = losses;
import { TaskSpecs } from '../../lib/task/index.js';
import { expectLossParity } from '../helpers/loss-parity.js';
import { TorchPython } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());

const V = 11;
const long = (rows: number[][]) => torch.tensor(rows, { dtype: 'int64' });
// Two sequences, the second padded (pad id 0) after 4 tokens; labels mark padding -100.
const ids = () => long([[5, 3, 9, 1, 2, 7], [4, 4, 8, 6, 0, 0]]);
const mask = () => long([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]]);
const paddedLabels = () => long([[5, 3, 9, 1, 2, 7], [4, 4, 8, 6, -100, -100]]);
const logitsLeaf = (shape: number[], dtype: 'float32' | 'bfloat16' | 'float16' = 'float32') => torch.randn(shape).to(dtype).requiresGrad_(true);

const causalPy = (smoothing = 0) => `
sl = logits[:, :-1, :].float().reshape(-1, logits.shape[-1])
st = labels[:, 1:].reshape(-1)
loss = F.cross_entropy(sl, st, ignore_index=-100, reduction="sum", label_smoothing=${smoothing})
n = (st != -100).sum().item()
mean = F.cross_entropy(sl, st, ignore_index=-100, label_smoothing=${smoothing})
`;

describe.skipIf(!py)('causal_lm matches PyTorch (Hugging Face\'s shift: logits[:, :-1] vs labels[:, 1:])', () => {
  const task = TaskSpecs.causalLm({ vocabSize: V });

  it('with labels holding ignoreIndex on padding', async () => {
    torch.manualSeed(1);
    const logits = logitsLeaf([2, 6, V]), labels = paddedLabels();
    const r = await expectLossParity(py!, { strategy: losses.get('causal_lm'), task, output: { logits }, batch: { input_ids: ids(), labels },
      tensors: { logits, labels }, py: causalPy() });
    expect(itemsOf(r.numItems)).toBe(5 + 3); // 6 - 1 targets in row 0; row 1 has 3 real next tokens
  });

  it('with label smoothing', async () => {
    torch.manualSeed(2);
    const logits = logitsLeaf([2, 6, V]), labels = paddedLabels();
    await expectLossParity(py!, { strategy: losses.get('causal_lm', { labelSmoothing: 0.1 }), task, output: { logits }, batch: { labels },
      tensors: { logits, labels }, py: causalPy(0.1) });
  });

  it('takes the inputs as labels when the batch has none, masking padding by the attention mask', async () => {
    torch.manualSeed(3);
    const logits = logitsLeaf([2, 6, V]), inputIds = ids(), attention = mask();
    const r = await expectLossParity(py!, { strategy: losses.get('causal_lm'), task, output: { logits }, batch: { input_ids: inputIds, attention_mask: attention },
      tensors: { logits, ids: inputIds, mask: attention },
      py: 'labels = ids.masked_fill(mask == 0, -100)\n' + causalPy() });
    expect(itemsOf(r.numItems)).toBe(8);
  });

  it('masks padding by padTokenId when the batch has no attention mask', async () => {
    torch.manualSeed(4);
    const logits = logitsLeaf([2, 6, V]), inputIds = ids();
    const padded = TaskSpecs.causalLm({ vocabSize: V, padTokenId: 0 });
    const r = await expectLossParity(py!, { strategy: losses.get('causal_lm'), task: padded, output: { logits }, batch: { input_ids: inputIds },
      tensors: { logits, ids: inputIds }, py: 'labels = ids.masked_fill(ids == 0, -100)\n' + causalPy() });
    expect(itemsOf(r.numItems)).toBe(8);
    // without padTokenId or a mask every position counts
    const plain = losses.get('causal_lm').computeLoss({ logits: logits.detach() }, { input_ids: inputIds }, task);
    expect(itemsOf(plain.numItems)).toBe(10);
  });

  it.each(['bfloat16', 'float16'] as const)('upcasts %s logits to float32 before the loss', async (dtype) => {
    torch.manualSeed(5);
    const logits = logitsLeaf([2, 6, V], dtype), labels = paddedLabels();
    const r = await expectLossParity(py!, { strategy: losses.get('causal_lm'), task, output: { logits }, batch: { labels },
      tensors: { logits, labels }, py: causalPy() });
    expect(r.loss.dtype).toBe('float32');
    expect(logits.grad!.dtype).toBe(dtype);
  });

  it('normalizeBy samples counts sequences', () => {
    const samples = TaskSpecs.causalLm({ vocabSize: V, normalizeBy: 'samples' });
    const r = losses.get('causal_lm').computeLoss({ logits: torch.randn([2, 6, V]) }, { labels: paddedLabels() }, samples);
    expect(itemsOf(r.numItems)).toBe(2);
  });
});

describe('causal_lm semantics', () => {
  const task = TaskSpecs.causalLm({ vocabSize: V });
  // Logits that put (almost) all mass on a given token id at each position.
  const confident = (rows: number[][]) => nn.functional.oneHot(long(rows), V).float().mul(30);

  it('position t predicts token t+1: logits sure of the next token give ~0 loss, of the current token a large one', () => {
    const seq = [[5, 3, 9, 1, 2, 7]];
    const next = seq.map((r) => [...r.slice(1), 0]);
    const good = losses.get('causal_lm').computeLoss({ logits: confident(next) }, { labels: long(seq) }, task);
    const bad = losses.get('causal_lm').computeLoss({ logits: confident(seq) }, { labels: long(seq) }, task);
    expect(itemsOf(good.numItems)).toBe(5);
    expect(good.loss.item() / itemsOf(good.numItems)).toBeLessThan(1e-3);
    expect(bad.loss.item() / itemsOf(bad.numItems)).toBeGreaterThan(10);
  });

  it('shift: false takes the labels as next-token targets and trains every position, the last one included', () => {
    const seq = [[5, 3, 9, 1, 2, 7]];
    const nextTargets = long([[3, 9, 1, 2, 7, 4]]);
    const unshifted = losses.get('causal_lm', { shift: false });
    const good = unshifted.computeLoss({ logits: confident(nextTargets.tolist() as number[][]) }, { labels: nextTargets }, task);
    expect(itemsOf(good.numItems)).toBe(6);
    expect(good.loss.item() / itemsOf(good.numItems)).toBeLessThan(1e-3);
    // the same logits and labels under the default shift are judged one position off
    const shifted = losses.get('causal_lm').computeLoss({ logits: confident(nextTargets.tolist() as number[][]) }, { labels: nextTargets }, task);
    expect(itemsOf(shifted.numItems)).toBe(5);
    expect(shifted.loss.item() / itemsOf(shifted.numItems)).toBeGreaterThan(10);
    // the gradient reaches the last position only without the shift
    const logits = torch.randn([1, 6, V], { requiresGrad: true });
    unshifted.computeLoss({ logits }, { labels: long(seq) }, task).loss.backward();
    expect(logits.grad!.index(0, 5).abs().sum().item()).toBeGreaterThan(0);
    expect(() => losses.get('causal_lm', { shift: 'yes' })).toThrow(/shift/);
  });

  it('ignoreIndex targets contribute nothing, whatever their logits, and a custom ignoreIndex works', () => {
    torch.manualSeed(6);
    const custom = TaskSpecs.causalLm({ vocabSize: V, ignoreIndex: 99 });
    const labels = long([[5, 3, 99, 1, 99, 7]]);
    const logits = torch.randn([1, 6, V]);
    const r1 = losses.get('causal_lm').computeLoss({ logits }, { labels }, custom);
    // change the logits that predict the ignored targets (positions 1 and 3): no effect
    const changed = logits.clone();
    changed.indexPut_([0, 1], torch.randn([V]).mul(10));
    changed.indexPut_([0, 3], torch.randn([V]).mul(10));
    const r2 = losses.get('causal_lm').computeLoss({ logits: changed }, { labels }, custom);
    expect(itemsOf(r1.numItems)).toBe(3);
    expect(r2.loss.item()).toBeCloseTo(r1.loss.item(), 5);
  });

  it('a batch whose targets are all ignored gives a zero sum over zero items', () => {
    const r = losses.get('causal_lm').computeLoss({ logits: torch.randn([1, 3, V], { requiresGrad: true }) }, { labels: long([[1, -100, -100]]) }, task);
    expect(itemsOf(r.numItems)).toBe(0);
    expect(r.loss.item()).toBe(0);
  });

  it('errors name what is missing or misshapen, and the fix', () => {
    const causal = losses.get('causal_lm');
    expect(() => causal.computeLoss({}, { labels: paddedLabels() }, task)).toThrow(/needs output\.logits .*fix: have the model/);
    expect(() => causal.computeLoss({ logits: torch.randn([6, V]) }, { labels: paddedLabels() }, task)).toThrow(/output\.logits must be \[batch, time, vocab\]/);
    expect(() => causal.computeLoss({ logits: torch.randn([2, 5, V]) }, { labels: paddedLabels() }, task)).toThrow(/the targets must be \[batch, time\] = \[2, 5\]/);
    expect(() => causal.computeLoss({ logits: torch.randn([2, 6, V]) }, { text: 1 }, task)).toThrow(/needs labels in batch field 'labels' or token ids in 'input_ids'/);
    expect(() => causal.computeLoss({ logits: torch.randn([2, 6, V]) }, { labels: torch.randn([2, 6]) }, task)).toThrow(/class indices/);
    const pairs = TaskSpecs.causalLm({ vocabSize: V, normalizeBy: 'pairs' });
    expect(() => causal.computeLoss({ logits: torch.randn([2, 6, V]) }, { labels: paddedLabels() }, pairs)).toThrow(/cannot normalise by 'pairs'.*'tokens' or 'samples'/);
  });
});

describe.skipIf(!py)('masked_lm and token_classification match PyTorch (no shift)', () => {
  const TOKEN_PY = (weighted: boolean) => `
fl = logits.float().reshape(-1, logits.shape[-1]); ft = labels.reshape(-1)
loss = F.cross_entropy(fl, ft, ${weighted ? 'weight=w, ' : ''}reduction="sum")
n = ${weighted ? 'w[ft[ft != -100]].sum().item()' : '(ft != -100).sum().item()'}
mean = F.cross_entropy(fl, ft${weighted ? ', weight=w' : ''})
`;

  it('masked_lm counts only the masked positions', async () => {
    torch.manualSeed(7);
    const task = TaskSpecs.maskedLm({ vocabSize: V, maskTokenId: 10 });
    const logits = logitsLeaf([2, 5, V]);
    const labels = long([[-100, 4, -100, -100, 2], [-100, -100, -100, 7, -100]]);
    const r = await expectLossParity(py!, { strategy: losses.lossForTask(task), task, output: { logits }, batch: { labels }, tensors: { logits, labels }, py: TOKEN_PY(false) });
    expect(itemsOf(r.numItems)).toBe(3);
  });

  it('token_classification with class weights normalises by the summed weights (PyTorch\'s weighted mean)', async () => {
    torch.manualSeed(8);
    const task = TaskSpecs.tokenClassification({ numClasses: 4 });
    const logits = logitsLeaf([3, 4, 4]);
    const labels = long([[0, 1, 2, 3], [3, 3, -100, -100], [1, 0, 2, -100]]);
    const weights = [0.5, 2, 1, 3];
    const r = await expectLossParity(py!, { strategy: losses.get('token_classification', { classWeights: weights }), task, output: { logits }, batch: { labels },
      tensors: { logits, labels, w: torch.tensor(weights) }, py: TOKEN_PY(true) });
    expect(itemsOf(r.numItems)).toBeCloseTo(0.5 * 2 + 2 * 2 + 1 * 2 + 3 * 3, 6);
    expect(Object.keys(r.logs!)).toEqual(['targets']);
    expect((r.logs!.targets as Tensor).item()).toBe(9);
  });

  it('token_classification without weights, and its errors', async () => {
    torch.manualSeed(9);
    const task = TaskSpecs.tokenClassification({ numClasses: 3 });
    const logits = logitsLeaf([2, 3, 3]);
    const labels = long([[0, 2, -100], [1, 1, 2]]);
    await expectLossParity(py!, { strategy: losses.lossForTask(task), task, output: { logits }, batch: { labels }, tensors: { logits, labels }, py: TOKEN_PY(false) });
    const strategy = losses.get('token_classification');
    expect(() => strategy.computeLoss({ logits: torch.randn([2, 4, 3]) }, { labels }, task)).toThrow(/output\.logits must be \[2, 3, classes\]/);
    expect(() => strategy.computeLoss({ logits: torch.randn([2, 3, 3]) }, {}, task)).toThrow(/needs labels \[batch, time\] in batch field 'labels'/);
    expect(() => losses.get('token_classification', { classWeights: [1, 2] }).computeLoss({ logits: torch.randn([2, 3, 3]) }, { labels }, task)).toThrow(/classWeights has 2 entries but the logits have 3 classes/);
  });
});
