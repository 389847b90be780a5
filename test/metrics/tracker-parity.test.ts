// The MetricsTracker's formulas against their references: sklearn.metrics for classification
// and regression (accuracy_score, top_k_accuracy_score, precision_recall_fscore_support with
// average='macro'/'micro'/'binary', confusion_matrix, hamming_loss, mean_squared_error,
// root_mean_squared_error, mean_absolute_error, r2_score) and PyTorch for perplexity and
// recall@k. Data goes through the tracker in several batches (counts added on the device) and
// to Python whole.
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, metrics, nn, torch } from '../../lib/index.js';
import { type TaskSpec, TaskSpecs } from '../../lib/task/index.js';
import { parityRequired, TorchPython } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());
// sklearn comes from scripts/requirements-test.txt (bash scripts/setup.sh installs it).
const sklearn = py ? await py.run<boolean>('try:\n    import sklearn.metrics\n    out = True\nexcept ImportError:\n    out = False') : false;
if (py && !sklearn) {
  const message = 'SKLEARN PARITY TESTS NOT RUN: the reference Python has no scikit-learn; run bash scripts/setup.sh (it installs scripts/requirements-test.txt)';
  if (parityRequired) throw new Error(message);
  console.warn(message);
}

const TOL = 1e-9;

/** Runs the data through a tracker in `parts` batches along dim 0 and returns its summary and confusion matrix. */
function track(task: TaskSpec, output: Record<string, Tensor>, batch: Record<string, Tensor>, parts: number, loss?: (o: Record<string, Tensor>, b: Record<string, Tensor>) => [Tensor, Tensor]) {
  const tracker = new metrics.MetricsTracker(task.metrics, task);
  try {
    for (let i = 0; i < parts; i++) {
      torch.scope(() => {
        const slice = (t: Tensor) => t.chunk(parts, 0)[i];
        const o = Object.fromEntries(Object.entries(output).map(([k, v]) => [k, slice(v)]));
        const b = Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, slice(v)]));
        if (loss) tracker.addLoss(...loss(o, b));
        tracker.update(o, b);
      });
    }
    return { summary: tracker.summary(), confusion: tracker.confusionMatrix() };
  } finally {
    tracker.dispose();
  }
}

function expectClose(ours: Record<string, number>, theirs: Record<string, number>) {
  expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
  for (const [k, v] of Object.entries(theirs)) expect(ours[k], k).toBeCloseTo(v, 9);
}

const PRF_NAMES = ['precision', 'recall', 'f1'].flatMap((m) => [m, `${m}_macro`, `${m}_micro`]);
const PRF_PY = `
from sklearn.metrics import precision_recall_fscore_support as prfs
for avg in ['macro', 'micro']:
    p, r, f, _ = prfs(y, pred, average=avg, zero_division=0)
    out.update({f'precision_{avg}': float(p), f'recall_{avg}': float(r), f'f1_{avg}': float(f)})
out.update({'precision': out['precision_macro'], 'recall': out['recall_macro'], 'f1': out['f1_macro']})
`;

describe.skipIf(!py || !sklearn)('MetricsTracker against sklearn.metrics', () => {
  it('single-label classification: accuracy, top-k, precision/recall/F1 macro and micro, confusion matrix', async () => {
    torch.manualSeed(0);
    const C = 5;
    // Class 4 never occurs, neither as a target nor as a prediction: macro averages leave it out, as sklearn's do.
    const logits = torch.randn([60, C - 1]);
    const scores = torch.cat([logits, torch.full([60, 1], -1e9)], 1);
    const labels = torch.randint(0, 4, [60]);
    const task = TaskSpecs.sequenceClassification({ numClasses: C, metrics: ['accuracy', 'top2_accuracy', 'top3_accuracy', ...PRF_NAMES] });
    const { summary, confusion } = track(task, { logits: scores }, { labels }, 4);
    const ref = await py!.run<{ m: Record<string, number>; cm: number[][] }>(`
from sklearn.metrics import accuracy_score, top_k_accuracy_score, confusion_matrix
y = labels.numpy(); s = scores.double().numpy(); pred = s.argmax(1)
out = {'accuracy': accuracy_score(y, pred)}
for k in (2, 3): out[f'top{k}_accuracy'] = float(top_k_accuracy_score(y, s, k=k, labels=list(range(${C}))))
${PRF_PY}
out = {'m': out, 'cm': confusion_matrix(y, pred, labels=list(range(${C}))).tolist()}`, { scores, labels });
    expectClose(summary, ref.m);
    expect(confusion).toEqual(ref.cm);
    torch.dispose([logits, scores, labels]);
  });

  it('binary: precision/recall/F1 of the positive class 1 (average=\'binary\')', async () => {
    torch.manualSeed(1);
    const logits = torch.randn([50, 2]), labels = torch.randint(0, 2, [50]);
    const task = TaskSpecs.sequenceClassification({ numClasses: 2, metrics: ['precision_binary', 'recall_binary', 'f1_binary', 'f1_macro'] });
    const { summary } = track(task, { logits }, { labels }, 3);
    const ref = await py!.run<Record<string, number>>(`
from sklearn.metrics import precision_recall_fscore_support as prfs
y = labels.numpy(); pred = logits.argmax(1).numpy()
p, r, f, _ = prfs(y, pred, average='binary', zero_division=0)
out = {'precision_binary': float(p), 'recall_binary': float(r), 'f1_binary': float(f), 'f1_macro': float(prfs(y, pred, average='macro')[2])}`, { logits, labels });
    expectClose(summary, ref);
    torch.dispose([logits, labels]);
  });

  it('token classification: ignored targets (-100) left out of every count', async () => {
    torch.manualSeed(2);
    const C = 3;
    const logits = torch.randn([8, 6, C]);
    const labels = torch.where(torch.rand([8, 6]).lt(0.25), -100, torch.randint(0, C, [8, 6]));
    const task = TaskSpecs.tokenClassification({ numClasses: C, metrics: ['accuracy', 'top2_accuracy', ...PRF_NAMES] });
    const { summary, confusion } = track(task, { logits }, { labels }, 2);
    const ref = await py!.run<{ m: Record<string, number>; cm: number[][] }>(`
from sklearn.metrics import accuracy_score, top_k_accuracy_score, confusion_matrix
keep = labels.reshape(-1) != -100
y = labels.reshape(-1)[keep].numpy(); s = logits.reshape(-1, ${C})[keep].double().numpy(); pred = s.argmax(1)
out = {'accuracy': accuracy_score(y, pred), 'top2_accuracy': float(top_k_accuracy_score(y, s, k=2, labels=list(range(${C}))))}
${PRF_PY}
out = {'m': out, 'cm': confusion_matrix(y, pred, labels=list(range(${C}))).tolist()}`, { logits, labels });
    expectClose(summary, ref.m);
    expect(confusion).toEqual(ref.cm);
    torch.dispose([logits, labels]);
  });

  it('multi-label: per-label (Hamming) accuracy and macro (over every label) / micro precision, recall, F1', async () => {
    torch.manualSeed(3);
    const logits = torch.randn([40, 4]).add(torch.tensor([0, 0, -3, 0]));
    const labels = torch.rand([40, 4]).lt(torch.tensor([0.5, 0.3, 0.05, 0.6])).to('float32');
    const task = TaskSpecs.multilabelClassification({ numClasses: 4, metrics: ['accuracy', ...PRF_NAMES] });
    const { summary, confusion } = track(task, { logits }, { labels }, 4);
    expect(confusion).toBeNull();
    const ref = await py!.run<Record<string, number>>(`
from sklearn.metrics import hamming_loss
y = (labels > 0.5).int().numpy(); pred = (logits > 0).int().numpy()
out = {'accuracy': 1 - hamming_loss(y, pred)}
${PRF_PY}`, { logits, labels });
    expectClose(summary, ref);
    torch.dispose([logits, labels]);
  });

  for (const outputs of [1, 3]) {
    it(`regression with ${outputs} output(s): MSE, RMSE, MAE, R2 (uniform average over outputs)`, async () => {
      torch.manualSeed(4 + outputs);
      const labels = torch.randn([45, outputs]).mul(3).add(10);
      const logits = labels.add(torch.randn([45, outputs]));
      const task = TaskSpecs.regression({ metrics: ['loss', 'mse', 'rmse', 'mae', 'r2'] });
      const { summary } = track(task, { logits }, { labels }, 5, (o, b) => [nn.functional.mseLoss(o.logits, b.labels, { reduction: 'sum' }).div(outputs), torch.tensor(o.logits.shape[0])]);
      const ref = await py!.run<Record<string, number>>(`
from sklearn.metrics import mean_squared_error, root_mean_squared_error, mean_absolute_error, r2_score
y = labels.double().numpy(); p = logits.double().numpy()
out = {'loss': float(F.mse_loss(logits.double(), labels.double())), 'mse': mean_squared_error(y, p), 'rmse': root_mean_squared_error(y, p), 'mae': mean_absolute_error(y, p), 'r2': r2_score(y, p)}`, { logits, labels });
      for (const [k, v] of Object.entries(ref)) expect(summary[k], k).toBeCloseTo(v, k === 'loss' ? 5 : 9);
      torch.dispose([logits, labels]);
    });
  }
});

describe.skipIf(!py)('MetricsTracker against PyTorch', () => {
  it('masked LM: perplexity = exp(mean cross-entropy over non-ignored tokens), token accuracy and top-k', async () => {
    torch.manualSeed(6);
    const V = 11;
    const logits = torch.randn([6, 7, V]);
    const labels = torch.where(torch.rand([6, 7]).lt(0.6), -100, torch.randint(0, V, [6, 7]));
    const task = TaskSpecs.maskedLm({ vocabSize: V, maskTokenId: 1, metrics: ['loss', 'perplexity', 'accuracy', 'top5_accuracy'] });
    const { summary } = track(task, { logits }, { labels }, 3, (o, b) => {
      const ce = nn.functional.crossEntropy(o.logits.reshape(-1, V), b.labels.reshape(-1), { reduction: 'sum' });
      return [ce, b.labels.ne(-100).sum()];
    });
    const ref = await py!.run<Record<string, number>>(`
l = logits.reshape(-1, ${V}).double(); y = labels.reshape(-1); keep = y != -100
loss = F.cross_entropy(l, y, ignore_index=-100)
out = {'loss': float(loss), 'perplexity': float(torch.exp(loss)),
       'accuracy': float((l.argmax(1) == y)[keep].double().mean()),
       'top5_accuracy': float((l.topk(5, 1).indices == y[:, None]).any(1)[keep].double().mean())}`, { logits, labels });
    expect(summary.loss).toBeCloseTo(ref.loss, 5);
    expect(summary.perplexity).toBeCloseTo(ref.perplexity, 4);
    expect(summary.accuracy).toBeCloseTo(ref.accuracy, 12);
    expect(summary.top5_accuracy).toBeCloseTo(ref.top5_accuracy, 12);
    torch.dispose([logits, labels]);
  });

  it('contrastive: recall@k, image i\'s own text among its k most similar texts (in-batch)', async () => {
    torch.manualSeed(7);
    const a = torch.randn([24, 8]), b = a.add(torch.randn([24, 8]).mul(1.5));
    const task = TaskSpecs.contrastive({ metrics: ['recall@1', 'recall@5', 'recall@10'] });
    const { summary } = track(task, { imageEmbeds: a, textEmbeds: b }, {}, 2);
    const ref = await py!.run<Record<string, number>>(`
out = {}
for k in (1, 5, 10):
    hits = 0
    for ia, ib in zip(a.chunk(2), b.chunk(2)):
        top = (ia @ ib.T).topk(k, 1).indices
        hits += int((top == torch.arange(len(ia))[:, None]).any(1).sum())
    out[f'recall@{k}'] = hits / len(a)`, { a, b });
    expectClose(summary, ref);
    torch.dispose([a, b]);
  });
});
