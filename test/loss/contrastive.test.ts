// Contrastive and self-supervised losses against the reference formulas written in Python
// PyTorch (CLIP/InfoNCE as open_clip writes it, NT-Xent with an explicit negatives mask, SupCon
// as its reference implementation, VICReg and Barlow Twins as their official code): summed
// values, item counts, gradients (including the learnable temperature and its cap), and errors.
// These formulas order their float operations differently from ours, hence small tolerances.
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, losses, torch } from '../../lib/index.js';
import { TaskSpecs } from '../../lib/task/index.js';
import { expectLossParity } from '../helpers/loss-parity.js';
import { TorchPython } from '../helpers/python.js';

/** A logged value: a number, or a 0-d tensor left on the device. */
const logValue = (v: number | Tensor) => (typeof v === 'number' ? v : v.item());

const py = await TorchPython.start();
afterAll(() => py?.close());

const task = TaskSpecs.contrastive();
const leaf = (shape: number[], scale = 1) => torch.randn(shape).mul(scale).requiresGrad_(true);
const tol = { rtol: 1e-5, atol: 1e-6 };

const CLIP_PY = (scale: string, symmetric = true) => `
ie = F.normalize(img, dim=-1); te = F.normalize(txt, dim=-1)
logits_per_image = ${scale} * ie @ te.T
labels = torch.arange(img.shape[0])
i2t = F.cross_entropy(logits_per_image, labels, reduction="sum")
${symmetric ? 'loss = (i2t + F.cross_entropy(logits_per_image.T, labels, reduction="sum")) / 2' : 'loss = i2t'}
n = img.shape[0]
mean = ${symmetric ? '(F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_image.T, labels)) / 2' : 'F.cross_entropy(logits_per_image, labels)'}
`;

describe.skipIf(!py)('clip / info_nce', () => {
  it('learnable temperature: exp(logitScale) below the cap, gradient reaching logitScale', async () => {
    torch.manualSeed(1);
    const img = leaf([6, 8]), txt = leaf([6, 8]), logitScale = torch.tensor(Math.log(1 / 0.07)).requiresGrad_(true);
    const r = await expectLossParity(py!, { strategy: losses.lossForTask(task), task, output: { imageEmbeds: img, textEmbeds: txt, logitScale }, batch: {},
      tensors: { img, txt, logit_scale: logitScale }, py: CLIP_PY('logit_scale.clamp(max=math.log(100)).exp()'), tol });
    expect(r.numItems).toBe(6);
    expect(logValue(r.logs!.temperature)).toBeCloseTo(0.07, 6);
    expect(Math.abs(logitScale.grad!.item())).toBeGreaterThan(0);
  });

  it('learnable temperature above the cap: scale 100 (log-scale max log(100)) and no gradient to logitScale', async () => {
    torch.manualSeed(2);
    const img = leaf([5, 8]), txt = leaf([5, 8]), logitScale = torch.tensor(5.5).requiresGrad_(true);
    const r = await expectLossParity(py!, { strategy: losses.get('clip'), task, output: { imageEmbeds: img, textEmbeds: txt, logitScale }, batch: {},
      tensors: { img, txt, logit_scale: logitScale }, py: CLIP_PY('logit_scale.clamp(max=math.log(100)).exp()'), tol });
    expect(logValue(r.logs!.temperature)).toBeCloseTo(0.01, 6);
    expect(logitScale.grad!.item()).toBe(0);
  });

  it('fixed temperature (ignores the model\'s logitScale), and one-way InfoNCE', async () => {
    torch.manualSeed(3);
    const img = leaf([4, 8]), txt = leaf([4, 8]);
    await expectLossParity(py!, { strategy: losses.get('clip', { temperature: 0.2 }), task, output: { imageEmbeds: img, textEmbeds: txt, logitScale: torch.tensor(1.0) }, batch: {},
      tensors: { img, txt }, py: CLIP_PY('(1 / 0.2)'), tol });
    const img2 = leaf([4, 8]), txt2 = leaf([4, 8]);
    const oneWay = losses.get('info_nce', { temperature: 0.1, symmetric: false });
    expect(oneWay.name).toBe('info_nce');
    await expectLossParity(py!, { strategy: oneWay, task, output: { imageEmbeds: img2, textEmbeds: txt2 }, batch: {},
      tensors: { img: img2, txt: txt2 }, py: CLIP_PY('(1 / 0.1)', false), tol });
  });

  it('uses a model\'s own scaled logitsPerImage as they are', async () => {
    torch.manualSeed(4);
    const logits = leaf([5, 5], 3);
    await expectLossParity(py!, { strategy: losses.get('clip'), task, output: { logitsPerImage: logits, logitsPerText: logits.t() }, batch: {}, tensors: { logits },
      py: 'labels = torch.arange(5)\nloss = (F.cross_entropy(logits, labels, reduction="sum") + F.cross_entropy(logits.T, labels, reduction="sum")) / 2\nn = 5' });
  });

  it('errors: no temperature, unmatched pairs, missing embeddings', () => {
    const clip = losses.get('clip');
    expect(() => clip.computeLoss({ imageEmbeds: torch.randn([3, 4]), textEmbeds: torch.randn([3, 4]) }, {}, task)).toThrow(/needs a temperature: output\.logitScale .* or set the loss option temperature/);
    expect(() => clip.computeLoss({ imageEmbeds: torch.randn([3, 4]), textEmbeds: torch.randn([4, 4]), logitScale: torch.tensor(1) }, {}, task)).toThrow(/needs as many texts as images/);
    expect(() => clip.computeLoss({ imageEmbeds: torch.randn([3, 4]), textEmbeds: torch.randn([3, 5]), logitScale: torch.tensor(1) }, {}, task)).toThrow(/same dim/);
    expect(() => clip.computeLoss({ logits: torch.randn([3, 3]) }, {}, task)).toThrow(/needs output\.imageEmbeds/);
    expect(() => losses.get('clip', { maxScale: 1 })).toThrow(/maxScale/);
    const tokens = TaskSpecs.contrastive({ normalizeBy: 'tokens' });
    expect(() => clip.computeLoss({ imageEmbeds: torch.randn([3, 4]), textEmbeds: torch.randn([3, 4]), logitScale: torch.tensor(1) }, {}, tokens)).toThrow(/cannot normalise by 'tokens'/);
  });
});

const NT_XENT_PY = (t: number) => `
N = z1.shape[0]
z = F.normalize(torch.cat([z1, z2]), dim=1)
s = z @ z.T / ${t}
pos = torch.cat([torch.arange(N, 2 * N), torch.arange(0, N)])
negatives_and_pos = s[~torch.eye(2 * N, dtype=torch.bool)].view(2 * N, 2 * N - 1)
anchor = torch.logsumexp(negatives_and_pos, dim=1) - s[torch.arange(2 * N), pos]
loss = anchor.sum() / 2
n = N
mean = anchor.mean()
`;

describe.skipIf(!py)('simclr (NT-Xent)', () => {
  it('2N anchors, positive = the other view, 2N-2 negatives; summed per pair', async () => {
    torch.manualSeed(5);
    const z1 = leaf([6, 5]), z2 = leaf([6, 5]);
    const r = await expectLossParity(py!, { strategy: losses.get('simclr'), task, output: { views: [z1, z2] }, batch: {}, tensors: { z1, z2 }, py: NT_XENT_PY(0.1), tol });
    expect(r.numItems).toBe(6);
    const z3 = leaf([4, 5]), z4 = leaf([4, 5]);
    await expectLossParity(py!, { strategy: losses.get('nt_xent', { temperature: 0.5 }), task, output: { views: [z3, z4] }, batch: {}, tensors: { z1: z3, z2: z4 }, py: NT_XENT_PY(0.5), tol });
  });

  it('errors: views', () => {
    const s = losses.get('simclr');
    expect(() => s.computeLoss({ views: [torch.randn([4, 3])] }, {}, task)).toThrow(/needs output\.views = \[z1, z2\].*got 1 views/);
    expect(() => s.computeLoss({ embeddings: torch.randn([4, 3]) }, {}, task)).toThrow(/got no views \(it has embeddings\)/);
    expect(() => s.computeLoss({ views: [torch.randn([4, 3]), torch.randn([3, 3])] }, {}, task)).toThrow(/same shape/);
    expect(() => s.computeLoss({ views: [torch.randn([1, 3]), torch.randn([1, 3])] }, {}, task)).toThrow(/at least 2 samples/);
  });
});

// The SupCon reference implementation (HobbitLong/SupContrast losses.py, contrast_mode "all"),
// on features [bsz, n_views, dim] that are already normalised.
const SUPCON_PY = (t: number, base: number, withLabels: boolean) => `
features = F.normalize(torch.stack(views, dim=1), dim=-1)
batch_size, contrast_count = features.shape[0], features.shape[1]
${withLabels ? 'mask = torch.eq(labels.view(-1, 1), labels.view(-1, 1).T).float()' : 'mask = torch.eye(batch_size)'}
contrast_feature = torch.cat(torch.unbind(features, dim=1), dim=0)
anchor_feature, anchor_count = contrast_feature, contrast_count
anchor_dot_contrast = torch.div(torch.matmul(anchor_feature, contrast_feature.T), ${t})
logits_max, _ = torch.max(anchor_dot_contrast, dim=1, keepdim=True)
logits = anchor_dot_contrast - logits_max.detach()
mask = mask.repeat(anchor_count, contrast_count)
logits_mask = torch.scatter(torch.ones_like(mask), 1, torch.arange(batch_size * anchor_count).view(-1, 1), 0)
mask = mask * logits_mask
exp_logits = torch.exp(logits) * logits_mask
log_prob = logits - torch.log(exp_logits.sum(1, keepdim=True))
mask_pos_pairs = mask.sum(1)
mask_pos_pairs = torch.where(mask_pos_pairs < 1e-6, 1, mask_pos_pairs)
mean_log_prob_pos = (mask * log_prob).sum(1) / mask_pos_pairs
anchors = -(${t} / ${base}) * mean_log_prob_pos
loss = anchors.sum() / anchor_count
n = batch_size
mean = anchors.view(anchor_count, batch_size).mean()
`;

describe.skipIf(!py)('supcon', () => {
  it('labels define positives across views and samples', async () => {
    torch.manualSeed(6);
    const v1 = leaf([8, 6]), v2 = leaf([8, 6]), labels = torch.tensor([0, 1, 2, 0, 1, 1, 3, 2], { dtype: 'int64' });
    const r = await expectLossParity(py!, { strategy: losses.get('supcon'), task, output: { views: [v1, v2] }, batch: { labels }, tensors: { views: [v1, v2] as never, labels },
      py: SUPCON_PY(0.07, 0.07, true), tol: { rtol: 2e-5, atol: 1e-5 } });
    expect(r.numItems).toBe(8);
  });

  it('[N, V, D] embeddings, temperature / baseTemperature scaling, and an anchor without positives', async () => {
    torch.manualSeed(7);
    const e = leaf([6, 3, 4]);
    const labels = torch.tensor([0, 1, 0, 2, 1, 0], { dtype: 'int64' });
    await expectLossParity(py!, { strategy: losses.get('supcon', { temperature: 0.3 }), task, output: { embeddings: e }, batch: { labels }, tensors: { e, labels },
      py: 'views = list(torch.unbind(e, dim=1))\n' + SUPCON_PY(0.3, 0.07, true), tol: { rtol: 2e-5, atol: 1e-5 } });
    const single = leaf([5, 4]);
    await expectLossParity(py!, { strategy: losses.get('supcon', { temperature: 0.5, baseTemperature: 0.5 }), task, output: { embeddings: single }, batch: { labels: torch.tensor([0, 1, 0, 2, 1], { dtype: 'int64' }) },
      tensors: { single, labels: torch.tensor([0, 1, 0, 2, 1], { dtype: 'int64' }) }, py: 'views = [single]\n' + SUPCON_PY(0.5, 0.5, true), tol: { rtol: 2e-5, atol: 1e-5 } });
  });

  it('without labels it is SimCLR\'s NT-Xent (two views, baseTemperature = temperature)', async () => {
    torch.manualSeed(8);
    const v1 = leaf([5, 4]), v2 = leaf([5, 4]);
    await expectLossParity(py!, { strategy: losses.get('supcon', { temperature: 0.2, baseTemperature: 0.2 }), task, output: { views: [v1, v2] }, batch: {},
      tensors: { v1, v2 }, py: 'views = [v1, v2]\n' + SUPCON_PY(0.2, 0.2, false), tol: { rtol: 2e-5, atol: 1e-5 } });
    const a = losses.get('supcon', { temperature: 0.2, baseTemperature: 0.2 }).computeLoss({ views: [v1, v2] }, {}, task);
    const b = losses.get('simclr', { temperature: 0.2 }).computeLoss({ views: [v1, v2] }, {}, task);
    expect(a.loss.item()).toBeCloseTo(b.loss.item(), 4);
    expect(a.numItems).toBe(b.numItems);
  });

  it('errors: labels per view instead of per sample', () => {
    expect(() => losses.get('supcon').computeLoss({ views: [torch.randn([3, 4]), torch.randn([3, 4])] }, { labels: torch.tensor([0, 1, 0, 0, 1, 0], { dtype: 'int64' }) }, task))
      .toThrow(/labels must be \[3\] \(one class id per sample\).*not per view/);
    expect(() => losses.get('supcon').computeLoss({ logits: torch.randn([3, 4]) }, {}, task)).toThrow(/needs output\.views/);
  });
});

const OFF_DIAGONAL_PY = `
def off_diagonal(x):
    n, m = x.shape
    return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()
`;

describe.skipIf(!py)('vicreg and barlow_twins', () => {
  it('vicreg: the official formula with the paper\'s 25/25/1; loss * N over N samples', async () => {
    torch.manualSeed(9);
    // small spread in some dimensions so that the variance hinge is active
    const x = torch.randn([8, 6]).mul(torch.tensor([0.3, 2, 0.5, 1, 0.2, 1.5])).requiresGrad_(true), y = leaf([8, 6], 0.7);
    const r = await expectLossParity(py!, { strategy: losses.get('vicreg'), task, output: { views: [x, y] }, batch: {}, tensors: { x, y }, tol: { rtol: 2e-5, atol: 1e-5 },
      py: OFF_DIAGONAL_PY + `
N, D = x.shape
repr_loss = F.mse_loss(x, y)
xc = x - x.mean(dim=0); yc = y - y.mean(dim=0)
std_x = torch.sqrt(xc.var(dim=0) + 0.0001); std_y = torch.sqrt(yc.var(dim=0) + 0.0001)
std_loss = torch.mean(F.relu(1 - std_x)) / 2 + torch.mean(F.relu(1 - std_y)) / 2
cov_x = (xc.T @ xc) / (N - 1); cov_y = (yc.T @ yc) / (N - 1)
cov_loss = off_diagonal(cov_x).pow_(2).sum().div(D) + off_diagonal(cov_y).pow_(2).sum().div(D)
mean = 25 * repr_loss + 25 * std_loss + 1 * cov_loss
loss = mean * N
n = N
` });
    expect(r.numItems).toBe(8);
    expect(Object.keys(r.logs!)).toEqual(['invariance', 'variance', 'covariance']);
    expect(logValue(r.logs!.variance)).toBeGreaterThan(0);
  });

  it('vicreg with its own coefficients', async () => {
    torch.manualSeed(10);
    const x = leaf([6, 4]), y = leaf([6, 4]);
    await expectLossParity(py!, { strategy: losses.get('vicreg', { invarianceWeight: 1, varianceWeight: 2, covarianceWeight: 3, targetStd: 2 }), task, output: { views: [x, y] }, batch: {},
      tensors: { x, y }, tol: { rtol: 2e-5, atol: 1e-5 }, py: OFF_DIAGONAL_PY + `
N, D = x.shape
xc = x - x.mean(dim=0); yc = y - y.mean(dim=0)
std_loss = torch.mean(F.relu(2 - torch.sqrt(xc.var(dim=0) + 1e-4))) / 2 + torch.mean(F.relu(2 - torch.sqrt(yc.var(dim=0) + 1e-4))) / 2
cov_loss = off_diagonal((xc.T @ xc) / (N - 1)).pow(2).sum() / D + off_diagonal((yc.T @ yc) / (N - 1)).pow(2).sum() / D
loss = (F.mse_loss(x, y) + 2 * std_loss + 3 * cov_loss) * N
n = N
` });
  });

  it('barlow_twins: BatchNorm1d(affine=False) cross-correlation, lambda 5e-3', async () => {
    torch.manualSeed(11);
    const z1 = leaf([10, 5]), z2 = leaf([10, 5]);
    const r = await expectLossParity(py!, { strategy: losses.get('barlow_twins'), task, output: { views: [z1, z2] }, batch: {}, tensors: { z1, z2 }, tol: { rtol: 2e-5, atol: 1e-5 },
      py: OFF_DIAGONAL_PY + `
N, D = z1.shape
bn = nn.BatchNorm1d(D, affine=False)
c = bn(z1).T @ bn(z2)
c.div_(N)
on_diag = torch.diagonal(c).add_(-1).pow_(2).sum()
off_diag = off_diagonal(c).pow_(2).sum()
mean = on_diag + 5e-3 * off_diag
loss = mean * N
n = N
` });
    expect(r.numItems).toBe(10);
    const z3 = leaf([7, 4]), z4 = leaf([7, 4]);
    await expectLossParity(py!, { strategy: losses.get('barlow_twins', { lambda: 0.1 }), task, output: { views: [z3, z4] }, batch: {}, tensors: { z1: z3, z2: z4 }, tol: { rtol: 2e-5, atol: 1e-5 },
      py: OFF_DIAGONAL_PY + `
bn = nn.BatchNorm1d(z1.shape[1], affine=False)
c = bn(z1).T @ bn(z2) / z1.shape[0]
loss = ((torch.diagonal(c) - 1).pow(2).sum() + 0.1 * off_diagonal(c).pow(2).sum()) * z1.shape[0]
n = z1.shape[0]
` });
  });

  it('errors: batch of one, option types', () => {
    expect(() => losses.get('vicreg').computeLoss({ views: [torch.randn([1, 3]), torch.randn([1, 3])] }, {}, task)).toThrow(/at least 2 samples/);
    expect(() => losses.get('barlow_twins', { lambda: -1 })).toThrow(/lambda: Too small/);
    expect(() => losses.get('vicreg', { simCoeff: 25 })).toThrow(/simCoeff: not an option of 'vicreg'; it takes invarianceWeight, varianceWeight, covarianceWeight, targetStd, eps/);
  });
});

// In float64 the rounding that the float32 tolerances above absorb all but vanishes: the
// formulas agree to ~1e-12, which shows the differences are in operation order, not maths.
describe.skipIf(!py)('contrastive formulas agree to 1e-10 in float64', () => {
  const tight = { rtol: 1e-10, atol: 1e-12 };
  const leaf64 = (shape: number[], scale = 1) => torch.randn(shape, { dtype: 'float64' }).mul(scale).requiresGrad_(true);

  it('clip, simclr, supcon', async () => {
    torch.manualSeed(12);
    const img = leaf64([6, 8]), txt = leaf64([6, 8]), logitScale = torch.tensor(4.8, { dtype: 'float64' }).requiresGrad_(true);
    await expectLossParity(py!, { strategy: losses.get('clip'), task, output: { imageEmbeds: img, textEmbeds: txt, logitScale }, batch: {},
      tensors: { img, txt, logit_scale: logitScale }, py: CLIP_PY('logit_scale.clamp(max=math.log(100)).exp()'), tol: tight });
    const z1 = leaf64([6, 5]), z2 = leaf64([6, 5]);
    await expectLossParity(py!, { strategy: losses.get('simclr'), task, output: { views: [z1, z2] }, batch: {}, tensors: { z1, z2 }, py: NT_XENT_PY(0.1), tol: tight });
    const v1 = leaf64([8, 6]), v2 = leaf64([8, 6]), labels = torch.tensor([0, 1, 2, 0, 1, 1, 3, 2], { dtype: 'int64' });
    await expectLossParity(py!, { strategy: losses.get('supcon'), task, output: { views: [v1, v2] }, batch: { labels }, tensors: { views: [v1, v2] as never, labels },
      py: SUPCON_PY(0.07, 0.07, true), tol: tight });
  });

  it('vicreg, barlow_twins', async () => {
    torch.manualSeed(13);
    const x = leaf64([8, 6], 0.5), y = leaf64([8, 6], 0.7);
    await expectLossParity(py!, { strategy: losses.get('vicreg'), task, output: { views: [x, y] }, batch: {}, tensors: { x, y }, tol: tight,
      py: OFF_DIAGONAL_PY + `
N, D = x.shape
xc = x - x.mean(dim=0); yc = y - y.mean(dim=0)
std_loss = torch.mean(F.relu(1 - torch.sqrt(xc.var(dim=0) + 1e-4))) / 2 + torch.mean(F.relu(1 - torch.sqrt(yc.var(dim=0) + 1e-4))) / 2
cov_loss = off_diagonal((xc.T @ xc) / (N - 1)).pow(2).sum() / D + off_diagonal((yc.T @ yc) / (N - 1)).pow(2).sum() / D
loss = (25 * F.mse_loss(x, y) + 25 * std_loss + cov_loss) * N
n = N
` });
    const z1 = leaf64([10, 5]), z2 = leaf64([10, 5]);
    await expectLossParity(py!, { strategy: losses.get('barlow_twins'), task, output: { views: [z1, z2] }, batch: {}, tensors: { z1, z2 }, tol: tight,
      py: OFF_DIAGONAL_PY + `
bn = nn.BatchNorm1d(z1.shape[1], affine=False).double()
c = bn(z1).T @ bn(z2) / z1.shape[0]
loss = ((torch.diagonal(c) - 1).pow(2).sum() + 5e-3 * off_diagonal(c).pow(2).sum()) * z1.shape[0]
n = z1.shape[0]
` });
  });
});
