// nn.init against torch.nn.init (same seed, same values) and nn.functional's losses and
// helpers against torch.nn.functional (values and gradients).
import { afterAll, describe, expect, it } from 'vitest';
import { nn, torch } from '../../lib/index.js';
import { type OpCase, f, fixed, runOpCase } from '../helpers/op-parity.js';
import { type PyTensor, TorchPython, compareTensors } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());
const F = nn.functional;
const init = nn.init;

describe.skipIf(!py)('nn.init matches torch.nn.init', () => {
  const fills: [string, (t: ReturnType<typeof torch.empty>) => unknown, string][] = [
    ['uniform_', (t) => init.uniform_(t, -2, 3), 'nn.init.uniform_(t, -2, 3)'],
    ['normal_', (t) => init.normal_(t, 1, 0.5), 'nn.init.normal_(t, 1, 0.5)'],
    ['truncNormal_', (t) => init.truncNormal_(t, 0.5, 2, -1, 3), 'nn.init.trunc_normal_(t, 0.5, 2, -1, 3)'],
    ['truncNormal_ narrow window', (t) => init.truncNormal_(t, 0, 1, 1.5, 2.5), 'nn.init.trunc_normal_(t, 0, 1, 1.5, 2.5)'],
    ['truncNormal_ small std', (t) => init.truncNormal_(t, 0, 0.02), 'nn.init.trunc_normal_(t, 0, 0.02)'],
    ['xavierUniform_', (t) => init.xavierUniform_(t, 1.5), 'nn.init.xavier_uniform_(t, 1.5)'],
    ['xavierNormal_', (t) => init.xavierNormal_(t), 'nn.init.xavier_normal_(t)'],
    ['kaimingUniform_', (t) => init.kaimingUniform_(t, { a: Math.sqrt(5) }), 'nn.init.kaiming_uniform_(t, a=math.sqrt(5))'],
    ['kaimingNormal_ fan_out relu', (t) => init.kaimingNormal_(t, { mode: 'fan_out', nonlinearity: 'relu' }), 'nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")'],
    ['orthogonal_ tall', (t) => init.orthogonal_(t), 'nn.init.orthogonal_(t)'],
    ['orthogonal_ wide with gain', (t) => init.orthogonal_(t.t()), 'nn.init.orthogonal_(t.t())'],
    ['constant_/zeros_/ones_', (t) => { init.constant_(t, 2.5); init.zeros_(t.index(0)); init.ones_(t.index(1)); }, 'nn.init.constant_(t, 2.5); nn.init.zeros_(t[0]); nn.init.ones_(t[1])'],
  ];
  it.each(fills)('%s', async (_name, fill, code) => {
    torch.manualSeed(11);
    const t = torch.empty([6, 4, 3]).flatten(1);
    fill(t);
    const theirs = await py!.run<PyTensor>(`import math\ntorch.manual_seed(11)\nt = torch.empty(6, 4, 3).flatten(1)\n${code}\nout = t`);
    expect(compareTensors(t, theirs)).toBeNull();
  });

  it('calculateGain and fans', () => {
    expect(init.calculateGain('tanh')).toBe(5 / 3);
    expect(init.calculateGain('leaky_relu', 0.2)).toBe(Math.sqrt(2 / 1.04));
    expect(init.calculateFanInAndFanOut(torch.empty([8, 3, 5, 5]))).toEqual([75, 200]);
    expect(() => init.calculateFanInAndFanOut(torch.empty([3]))).toThrow(/fewer than 2 dimensions/);
  });
});

const long = (v: number[]) => torch.tensor(v, { dtype: 'int64' });
const cases: OpCase[] = [
  { name: 'crossEntropy', inputs: { x: f([4, 5]), t: fixed([4], { kind: 'int', high: 5 }) }, ts: ({ x, t }) => F.crossEntropy(x, t), py: 'F.cross_entropy(x, t)' },
  { name: 'crossEntropy ignoreIndex, smoothing, weight, sum', inputs: { x: f([6, 4]), w: fixed([4], { kind: 'positive' }) },
    ts: ({ x, w }) => F.crossEntropy(x, long([0, 3, -100, 1, 2, -100]), { weight: w, labelSmoothing: 0.1, reduction: 'sum' }),
    py: 'F.cross_entropy(x, torch.tensor([0, 3, -100, 1, 2, -100]), weight=w, label_smoothing=0.1, reduction="sum")' },
  { name: 'crossEntropy sequence [N, C, L]', inputs: { x: f([2, 5, 3]), t: fixed([2, 3], { kind: 'int', high: 5 }) }, ts: ({ x, t }) => F.crossEntropy(x, t, { reduction: 'none' }), py: 'F.cross_entropy(x, t, reduction="none")' },
  { name: 'crossEntropy probabilities', inputs: { x: f([3, 4]), p: fixed([3, 4], { kind: 'positive' }) }, ts: ({ x, p }) => F.crossEntropy(x, p.softmax(1)), py: 'F.cross_entropy(x, p.softmax(1))' },
  { name: 'nllLoss', inputs: { x: f([4, 5]), t: fixed([4], { kind: 'int', high: 5 }) }, ts: ({ x, t }) => F.nllLoss(x.logSoftmax(1), t, { ignoreIndex: 2 }), py: 'F.nll_loss(x.log_softmax(1), t, ignore_index=2)' },
  { name: 'mse/l1', inputs: { x: f([3, 4]), y: fixed([3, 4]) }, ts: ({ x, y }) => [F.mseLoss(x, y), F.l1Loss(x, y, { reduction: 'sum' })], py: '[F.mse_loss(x, y), F.l1_loss(x, y, reduction="sum")]' },
  { name: 'smoothL1/huber', inputs: { x: f([8]), y: fixed([8]) }, ts: ({ x, y }) => [F.smoothL1Loss(x, y, { beta: 0.5 }), F.huberLoss(x, y, { delta: 0.7 })], py: '[F.smooth_l1_loss(x, y, beta=0.5), F.huber_loss(x, y, delta=0.7)]' },
  { name: 'bceWithLogits', inputs: { x: f([4, 3]), y: fixed([4, 3], { kind: 'unit' }), pw: fixed([3], { kind: 'positive' }) },
    ts: ({ x, y, pw }) => F.binaryCrossEntropyWithLogits(x, y.abs(), { posWeight: pw }), py: 'F.binary_cross_entropy_with_logits(x, y.abs(), pos_weight=pw)' },
  { name: 'klDiv batchmean and logTarget', inputs: { x: f([3, 5]), y: fixed([3, 5]) },
    ts: ({ x, y }) => [F.klDiv(x.logSoftmax(1), y.softmax(1), { reduction: 'batchmean' }), F.klDiv(x.logSoftmax(1), y.logSoftmax(1), { reduction: 'sum', logTarget: true })],
    py: '[F.kl_div(x.log_softmax(1), y.softmax(1), reduction="batchmean"), F.kl_div(x.log_softmax(1), y.log_softmax(1), reduction="sum", log_target=True)]' },
  { name: 'cosineSimilarity/normalize', inputs: { a: f([4, 6]), b: f([4, 6]) }, ts: ({ a, b }) => [F.cosineSimilarity(a, b), F.normalize(a), F.normalize(b, { p: 1, dim: 0 })],
    py: '[F.cosine_similarity(a, b), F.normalize(a), F.normalize(b, p=1, dim=0)]' },
  { name: 'oneHot', inputs: { t: fixed([5], { kind: 'int', high: 4 }) }, ts: ({ t }) => [F.oneHot(t), F.oneHot(t, 6)], py: '[F.one_hot(t), F.one_hot(t, 6)]' },
  { name: 'scaledDotProductAttention causal', since: 2, inputs: { q: f([2, 3, 5, 4]), k: f([2, 3, 5, 4]), v: f([2, 3, 5, 4]) },
    ts: ({ q, k, v }) => F.scaledDotProductAttention(q, k, v, { isCausal: true }), py: 'F.scaled_dot_product_attention(q, k, v, is_causal=True)' },
  { name: 'scaledDotProductAttention mask and scale', since: 2, inputs: { q: f([2, 4, 4]), k: f([2, 6, 4]), v: f([2, 6, 4]), m: fixed([4, 6], { kind: 'bool' }) },
    ts: ({ q, k, v, m }) => F.scaledDotProductAttention(q, k, v, { attnMask: m.logicalOr(torch.eye(4, 6).bool()), scale: 0.3 }),
    py: 'F.scaled_dot_product_attention(q, k, v, attn_mask=m | torch.eye(4, 6).bool(), scale=0.3)' },
  { name: 'activations', inputs: { x: f([10]) }, ts: ({ x }) => [F.leakyRelu(x, 0.1), F.elu(x), F.softplus(x, { beta: 2 }), F.logSigmoid(x), F.hardtanh(x, -0.5, 0.5), F.gelu(x, { approximate: 'tanh' })],
    py: '[F.leaky_relu(x, 0.1), F.elu(x), F.softplus(x, beta=2), F.logsigmoid(x), F.hardtanh(x, -0.5, 0.5), F.gelu(x, approximate="tanh")]' },
];

const major = Number(py?.version.split('.')[0] ?? 0);

describe.skipIf(!py)('nn.functional matches torch.nn.functional', () => {
  // (since: 2 marks functions PyTorch 1.13 does not have; torchtrain's 1.13 fallback is tested through MultiheadAttention)
  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', async (_n, c, i) => {
    if (c.since && major < c.since) return;
    await runOpCase(py!, c, 700 + i);
  });
});
