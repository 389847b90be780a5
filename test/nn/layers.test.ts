// Every layer against torch.nn: same seed -> same initial weights; same input -> same output
// and gradients (exact: both sides run the same libtorch kernels in the same order).
import { afterAll, describe, it } from 'vitest';
import { nn, torch } from '../../lib/index.js';
import { type ModuleCase, runModuleCase } from '../helpers/module-parity.js';
import { TorchPython } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());

const tokens = (shape: number[], high: number) => () => [torch.randint(0, high, shape)];

const batchFirstTol = { rtol: 1e-6, atol: 1e-6 };
const cases: ModuleCase[] = [
  { name: 'Linear', ts: () => new nn.Linear(5, 3), py: 'nn.Linear(5, 3)', inputs: [[4, 5]] },
  { name: 'Linear no bias, 3-d input', ts: () => new nn.Linear(5, 3, { bias: false }), py: 'nn.Linear(5, 3, bias=False)', inputs: [[2, 4, 5]] },
  { name: 'Conv1d', ts: () => new nn.Conv1d(3, 4, 3, { stride: 2, padding: 1 }), py: 'nn.Conv1d(3, 4, 3, stride=2, padding=1)', inputs: [[2, 3, 9]] },
  { name: 'Conv2d', ts: () => new nn.Conv2d(3, 6, 3, { padding: 1 }), py: 'nn.Conv2d(3, 6, 3, padding=1)', inputs: [[2, 3, 8, 8]] },
  { name: 'Conv2d groups, dilation, same', ts: () => new nn.Conv2d(4, 8, [3, 2], { groups: 2, dilation: 2, padding: 'same', bias: false }),
    py: 'nn.Conv2d(4, 8, (3, 2), groups=2, dilation=2, padding="same", bias=False)', inputs: [[1, 4, 7, 7]] },
  { name: 'ConvTranspose2d', ts: () => new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }),
    py: 'nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)', inputs: [[2, 4, 5, 5]] },
  { name: 'MaxPool2d', ts: () => new nn.MaxPool2d(2), py: 'nn.MaxPool2d(2)', inputs: [[2, 3, 6, 6]] },
  { name: 'MaxPool2d stride padding', ts: () => new nn.MaxPool2d(3, { stride: 2, padding: 1 }), py: 'nn.MaxPool2d(3, stride=2, padding=1)', inputs: [[1, 2, 7, 7]] },
  { name: 'AvgPool2d', ts: () => new nn.AvgPool2d(2, { stride: 1 }), py: 'nn.AvgPool2d(2, stride=1)', inputs: [[2, 3, 5, 5]] },
  { name: 'AdaptiveAvgPool2d', ts: () => new nn.AdaptiveAvgPool2d([2, 3]), py: 'nn.AdaptiveAvgPool2d((2, 3))', inputs: [[2, 3, 7, 9]] },
  { name: 'BatchNorm1d train', ts: () => new nn.BatchNorm1d(4), py: 'nn.BatchNorm1d(4)', inputs: [[6, 4]] },
  { name: 'BatchNorm1d eval 3-d', ts: () => new nn.BatchNorm1d(4), py: 'nn.BatchNorm1d(4)', inputs: [[2, 4, 5]], mode: 'eval' },
  { name: 'BatchNorm2d train', ts: () => new nn.BatchNorm2d(3, { momentum: 0.3 }), py: 'nn.BatchNorm2d(3, momentum=0.3)', inputs: [[2, 3, 4, 4]] },
  { name: 'BatchNorm2d cumulative average', ts: () => new nn.BatchNorm2d(3, { momentum: null }), py: 'nn.BatchNorm2d(3, momentum=None)', inputs: [[2, 3, 4, 4]] },
  { name: 'LayerNorm', ts: () => new nn.LayerNorm(6), py: 'nn.LayerNorm(6)', inputs: [[3, 4, 6]] },
  { name: 'LayerNorm 2 dims no bias', since: 2, ts: () => new nn.LayerNorm([4, 6], { eps: 1e-6, bias: false }), py: 'nn.LayerNorm((4, 6), eps=1e-6, bias=False)', inputs: [[3, 4, 6]] },
  { name: 'GroupNorm', ts: () => new nn.GroupNorm(2, 6), py: 'nn.GroupNorm(2, 6)', inputs: [[2, 6, 3, 3]] },
  { name: 'RMSNorm', since: 2, ts: () => new nn.RMSNorm(8), py: 'nn.RMSNorm(8)', inputs: [[2, 3, 8]] },
  { name: 'RMSNorm eps', since: 2, ts: () => new nn.RMSNorm([3, 8], { eps: 1e-5 }), py: 'nn.RMSNorm((3, 8), eps=1e-5)', inputs: [[2, 3, 8]] },
  { name: 'Embedding', ts: () => new nn.Embedding(10, 4), py: 'nn.Embedding(10, 4)', inputs: tokens([2, 5], 10), noInputGrad: true },
  { name: 'Embedding paddingIdx', ts: () => new nn.Embedding(10, 4, { paddingIdx: 0 }), py: 'nn.Embedding(10, 4, padding_idx=0)', inputs: tokens([3, 6], 4), noInputGrad: true },
  { name: 'Embedding negative paddingIdx', ts: () => new nn.Embedding(7, 3, { paddingIdx: -1 }), py: 'nn.Embedding(7, 3, padding_idx=-1)', inputs: tokens([4], 7), noInputGrad: true },
  { name: 'Dropout train (same mask)', ts: () => new nn.Dropout(0.4), py: 'nn.Dropout(0.4)', inputs: [[4, 8]], forwardSeed: 77 },
  { name: 'Dropout eval', ts: () => new nn.Dropout(0.4), py: 'nn.Dropout(0.4)', inputs: [[4, 8]], mode: 'eval' },
  { name: 'ReLU', ts: () => new nn.ReLU(), py: 'nn.ReLU()', inputs: [[3, 4]] },
  { name: 'GELU', ts: () => new nn.GELU(), py: 'nn.GELU()', inputs: [[3, 4]] },
  { name: 'GELU tanh', ts: () => new nn.GELU('tanh'), py: 'nn.GELU(approximate="tanh")', inputs: [[3, 4]] },
  { name: 'SiLU/Tanh/Sigmoid', ts: () => new nn.Sequential(new nn.SiLU(), new nn.Tanh(), new nn.Sigmoid()), py: 'nn.Sequential(nn.SiLU(), nn.Tanh(), nn.Sigmoid())', inputs: [[3, 4]] },
  { name: 'Softmax', ts: () => new nn.Softmax(1), py: 'nn.Softmax(dim=1)', inputs: [[3, 4]] },
  { name: 'Identity/Flatten', ts: () => new nn.Sequential(new nn.Identity(), new nn.Flatten()), py: 'nn.Sequential(nn.Identity(), nn.Flatten())', inputs: [[2, 3, 4]] },
  { name: 'Sequential MLP', ts: () => new nn.Sequential(new nn.Linear(6, 16), new nn.ReLU(), new nn.Linear(16, 16), new nn.GELU(), new nn.Linear(16, 2)),
    py: 'nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.GELU(), nn.Linear(16, 2))', inputs: [[5, 6]] },
  { name: 'small CNN', ts: () => new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(36, 3)),
    py: 'nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 3))', inputs: [[2, 1, 8, 8]] },
  // attention. Batch-first without weights runs nanoGPT's layout (no sequence-first copy): the
  // same arithmetic, but gradients sum their rows in batch-major order, so they differ from
  // PyTorch's sequence-first order in the last bit (the outputs stay bit-identical).
  { name: 'MultiheadAttention (weights)', ts: () => new nn.MultiheadAttention(8, 2), py: 'nn.MultiheadAttention(8, 2)',
    inputs: [[5, 2, 8]], call: { ts: (m, [x]) => (m as nn.MultiheadAttention).forward(x, x, x)[0], py: 'm(xs[0], xs[0], xs[0])[0]' } },
  { name: 'MultiheadAttention batch-first sdpa', tol: batchFirstTol, ts: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }), py: 'nn.MultiheadAttention(8, 2, batch_first=True)',
    inputs: [[2, 5, 8]], call: { ts: (m, [x]) => (m as nn.MultiheadAttention).forward(x, x, x, { needWeights: false })[0], py: 'm(xs[0], xs[0], xs[0], need_weights=False)[0]' } },
  { name: 'MultiheadAttention average weights', since: 2, ts: () => new nn.MultiheadAttention(8, 4, { batchFirst: true }), py: 'nn.MultiheadAttention(8, 4, batch_first=True)',
    inputs: [[2, 5, 8]], call: { ts: (m, [x]) => (m as nn.MultiheadAttention).forward(x, x, x)[1]!, py: 'm(xs[0], xs[0], xs[0])[1]' } },
  { name: 'MultiheadAttention causal mask', tol: batchFirstTol, since: 2, ts: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }), py: 'nn.MultiheadAttention(8, 2, batch_first=True)',
    inputs: [[2, 5, 8]], call: { ts: (m, [x]) => (m as nn.MultiheadAttention).forward(x, x, x, { attnMask: torch.full([5, 5], -Infinity).triu(1), needWeights: false, isCausal: true })[0],
      py: 'm(xs[0], xs[0], xs[0], attn_mask=nn.Transformer.generate_square_subsequent_mask(5), need_weights=False, is_causal=True)[0]' } },
  { name: 'MultiheadAttention key padding', ts: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }), py: 'nn.MultiheadAttention(8, 2, batch_first=True)',
    inputs: [[2, 5, 8]], call: { ts: (m, [x]) => (m as nn.MultiheadAttention).forward(x, x, x, { keyPaddingMask: torch.tensor([[false, false, false, true, true], [false, false, false, false, false]]) })[0],
      py: 'm(xs[0], xs[0], xs[0], key_padding_mask=torch.tensor([[False, False, False, True, True], [False] * 5]))[0]' } },
  { name: 'MultiheadAttention cross', ts: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }), py: 'nn.MultiheadAttention(8, 2, batch_first=True)',
    inputs: [[2, 3, 8], [2, 5, 8]], call: { ts: (m, [q, kv]) => (m as nn.MultiheadAttention).forward(q, kv, kv)[0], py: 'm(xs[0], xs[1], xs[1])[0]' } },
  { name: 'MultiheadAttention batch-first sdpa key padding + causal', tol: batchFirstTol, since: 2, ts: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }), py: 'nn.MultiheadAttention(8, 2, batch_first=True)',
    inputs: [[2, 5, 8]], call: { ts: (m, [x]) => (m as nn.MultiheadAttention).forward(x, x, x, { keyPaddingMask: torch.tensor([[false, false, false, true, true], [false, false, false, false, false]]), isCausal: true, needWeights: false })[0],
      py: 'm(xs[0], xs[0], xs[0], key_padding_mask=torch.tensor([[False, False, False, True, True], [False] * 5]), attn_mask=nn.Transformer.generate_square_subsequent_mask(5), is_causal=True, need_weights=False)[0]' } },
  { name: 'MultiheadAttention batch-first sdpa cross, separate q/k/v', tol: batchFirstTol, ts: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }), py: 'nn.MultiheadAttention(8, 2, batch_first=True)',
    inputs: [[2, 3, 8], [2, 5, 8], [2, 5, 8]], call: { ts: (m, [q, kv, v]) => (m as nn.MultiheadAttention).forward(q, kv, kv, { needWeights: false })[0].add((m as nn.MultiheadAttention).forward(q, kv, v, { needWeights: false })[0]),
      py: 'm(xs[0], xs[1], xs[1], need_weights=False)[0] + m(xs[0], xs[1], xs[2], need_weights=False)[0]' } },
  { name: 'TransformerEncoderLayer post-norm', tol: batchFirstTol, ts: () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true }),
    py: 'nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)', inputs: [[2, 5, 8]] },
  { name: 'TransformerEncoderLayer pre-norm gelu', tol: batchFirstTol, ts: () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true, normFirst: true, activation: 'gelu' }),
    py: 'nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True, norm_first=True, activation="gelu")', inputs: [[2, 5, 8]] },
];

const major = Number(py?.version.split('.')[0] ?? 0);

describe.skipIf(!py)('layers match torch.nn', () => {
  // (cases marked since: 2 use modules or arguments PyTorch 1.13 does not have)
  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    if (c.since && major < c.since) return;
    await runModuleCase(py!, c, 500 + i);
  });
});
