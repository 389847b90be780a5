// GradScaler, clipping, the one-call step function and autocast against PyTorch; gradient
// accumulation normalised by the items of the whole accumulated batch.
import { afterAll, describe, expect, it } from 'vitest';
import { GradientAccumulator, OptimizerStep } from '../../lib/engine/index.js';
import { type Tensor, amp, nn, optim, torch } from '../../lib/index.js';
import { type PyTensor, TorchPython, compareTensors } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());
const cpuScaler = py !== null && !py.version.startsWith('1.');

function model(seed: number) {
  torch.manualSeed(seed);
  return new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 2));
}
const PY_MODEL = (seed: number) => `torch.manual_seed(${seed})\nm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))`;
torch.manualSeed(3);
const x = torch.keep(torch.randn([16, 4])), y = torch.keep(torch.randn([16, 2]));
const INF_AT = [2, 7, 8], NAN_AT = [12];

describe.skipIf(!cpuScaler)('GradScaler matches torch.amp.GradScaler("cpu") (PyTorch 2.x; 1.13 has no CPU scaler)', () => {
  const pyLoop = (clip: boolean) => `${PY_MODEL(1)}
opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=3)
scales, norms = [], []
for i in range(20):
    opt.zero_grad()
    scaler.scale(torch.nn.functional.mse_loss(m(x), y)).backward()
    if i in ${JSON.stringify(INF_AT)}: m[0].weight.grad[0, 0] = float("inf")
    if i in ${JSON.stringify(NAN_AT)}: m[2].bias.grad[1] = float("nan")
    scaler.unscale_(opt)
    ${clip ? 'norms.append(torch.nn.utils.clip_grad_norm_(m.parameters(), 0.5).item())' : ''}
    scaler.step(opt)
    scaler.update()
    scales.append(scaler.get_scale())
out = {"scales": scales, "norms": norms, "params": [p.detach() for p in m.parameters()]}`;

  const inject = (m: nn.Sequential, i: number) => {
    if (INF_AT.includes(i)) (m.at(0) as nn.Linear).weight.grad!.indexPut_([0, 0], Infinity);
    if (NAN_AT.includes(i)) (m.at(2) as nn.Linear).bias!.grad!.indexPut_([1], NaN);
  };

  it('scale(), unscale_(), step(), update(): scale sequence, skipped steps and parameters', async () => {
    const m = model(1);
    const opt = new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 });
    const scaler = new amp.GradScaler({ device: 'cpu', initScale: 2 ** 10, growthInterval: 3 });
    const scales: number[] = [];
    for (let i = 0; i < 20; i++) {
      torch.scope(() => {
        opt.zeroGrad();
        scaler.scale(nn.functional.mseLoss(m.forward(x), y)).backward();
        inject(m, i);
        scaler.unscale_(opt);
        scaler.step(opt);
        scaler.update();
      });
      scales.push(scaler.getScale());
    }
    const theirs = await py!.run<{ scales: number[]; params: PyTensor[] }>(pyLoop(false), { x, y });
    expect(scales).toEqual(theirs.scales);
    m.parameters().forEach((p, i) => expect(compareTensors(p, theirs.params[i])).toBeNull());
  });

  it('the one-call step function does the same (with clipping), and reports norm, skip and scale', async () => {
    const m = model(1);
    const opt = new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 });
    const scaler = new amp.GradScaler({ device: 'cpu', initScale: 2 ** 10, growthInterval: 3 });
    const optimizerStep = new OptimizerStep(opt, { scaler, maxGradNorm: 0.5 });
    const results: { skipped: boolean | null; gradNorm: number | null; scale: number }[] = [];
    for (let i = 0; i < 20; i++) {
      results.push(torch.scope(() => {
        scaler.scale(nn.functional.mseLoss(m.forward(x), y)).backward();
        inject(m, i);
        const r = optimizerStep.step();
        // the norm stays on the device until read; the scale is the scaler's own
        return { skipped: r.skipped, gradNorm: r.gradNorm ? r.gradNorm.item() : null, scale: scaler.getScale() };
      }));
    }
    const theirs = await py!.run<{ scales: number[]; norms: number[]; params: PyTensor[] }>(pyLoop(true), { x, y });
    expect(results.map((r) => r.scale)).toEqual(theirs.scales);
    expect(results.map((r) => r.skipped)).toEqual(theirs.norms.map((n) => !Number.isFinite(n)));
    results.forEach((r, i) => {
      if (Number.isFinite(theirs.norms[i])) expect(Math.abs(r.gradNorm! - theirs.norms[i])).toBeLessThanOrEqual(1e-6 * theirs.norms[i]);
    });
    m.parameters().forEach((p, i) => expect(compareTensors(p, theirs.params[i], { atol: 1e-7 })).toBeNull());
    expect(scaler.stateDict()).toMatchObject({ scale: theirs.scales[19], growth_factor: 2, backoff_factor: 0.5, growth_interval: 3 });
  });
});

describe('GradScaler without CUDA', () => {
  it('a CUDA scaler on a CPU-only machine is a documented no-op', () => {
    if (torch.cuda.isAvailable()) return;
    const scaler = new amp.GradScaler();
    expect(scaler.isEnabled()).toBe(false);
    const loss = torch.tensor(2);
    expect(scaler.scale(loss)).toBe(loss);
    expect(scaler.getScale()).toBe(1);
    expect(scaler.stateDict()).toEqual({});
  });
});

describe.skipIf(!py)('clipping matches torch.nn.utils', () => {
  it.each([[2, 0.5], [1, 0.3], [Infinity, 0.1], [2, 100]])('clipGradNorm normType %d, maxNorm %d', async (normType, maxNorm) => {
    const m = model(2);
    nn.functional.mseLoss(m.forward(x), y).backward();
    const total = optim.clipGradNorm(m.parameters(), maxNorm, { normType });
    const theirs = await py!.run<{ total: PyTensor; grads: PyTensor[] }>(`${PY_MODEL(2)}
torch.nn.functional.mse_loss(m(x), y).backward()
t = torch.nn.utils.clip_grad_norm_(m.parameters(), ${maxNorm}, norm_type=${normType === Infinity ? 'float("inf")' : normType})
out = {"total": t, "grads": [p.grad for p in m.parameters()]}`, { x, y });
    expect(compareTensors(total, theirs.total)).toBeNull();
    m.parameters().forEach((p, i) => expect(compareTensors(p.grad!, theirs.grads[i])).toBeNull());
  });

  it('clipGradValue, and errorIfNonfinite', () => {
    const m = model(2);
    nn.functional.mseLoss(m.forward(x), y).mul(100).backward();
    optim.clipGradValue(m.parameters(), 0.01);
    expect(m.parameters().every((p) => p.grad!.abs().max().item() <= 0.01)).toBe(true);
    (m.at(0) as nn.Linear).weight.grad!.indexPut_([0, 0], NaN);
    expect(() => optim.clipGradNorm(m.parameters(), 1, { errorIfNonfinite: true })).toThrow(/non-finite, so it cannot be clipped/);
  });
});

describe('gradient accumulation normalised by the whole window', () => {
  // A padded causal-LM-like batch: ignored positions (-100) carry no loss and are not counted.
  const tokens = torch.keep(torch.tensor([[1, 4, 2, 0, 0], [3, 3, 1, 4, 2], [2, 0, 0, 0, 0], [4, 1, 3, 2, 0]], { dtype: 'int64' }));
  const labels = torch.keep(torch.tensor([[4, 2, -100, -100, -100], [3, 1, 4, 2, 1], [-100, -100, -100, -100, -100], [1, 3, 2, 4, -100]], { dtype: 'int64' }));
  const build = () => {
    torch.manualSeed(4);
    return new nn.Sequential(new nn.Embedding(5, 6), new nn.Linear(6, 5));
  };
  const summed = (m: nn.Module, rows: number[]): [Tensor, number] => {
    const idx = torch.tensor(rows, { dtype: 'int64' });
    const logits = m.forward(tokens.indexSelect(0, idx)) as Tensor;
    const target = labels.indexSelect(0, idx);
    const loss = nn.functional.crossEntropy(logits.flatten(0, 1), target.flatten(), { reduction: 'sum' });
    return [loss, target.ne(-100).sum().item()];
  };

  it('k micro-batches give the update of one batch k times larger, padding included', () => {
    const big = build(), small = build();
    const optBig = new OptimizerStep(new optim.SGD(big.parameters(), { lr: 0.5 }));
    const optSmall = new OptimizerStep(new optim.SGD(small.parameters(), { lr: 0.5 }));
    torch.scope(() => {
      const [loss, items] = summed(big, [0, 1, 2, 3]);
      loss.div(items).backward();
      optBig.step();
    });
    let items = 0;
    for (const row of [0, 1, 2, 3]) torch.scope(() => { const [loss, n] = summed(small, [row]); items += n; loss.backward(); });
    expect(items).toBe(11);
    optSmall.step({ gradDivisor: items });
    small.parameters().forEach((p, i) => expect(p.allclose(big.parameters()[i], { rtol: 0, atol: 1e-6 })).toBe(true));
  });

  it('a short last window is normalised by what it holds (GradientAccumulator)', () => {
    // 3 micro-batches, windows of 2: [0, 1] then the short [2], each one update
    const acc = new GradientAccumulator(2);
    const accumulated = build(), reference = build();
    const stepA = new OptimizerStep(new optim.SGD(accumulated.parameters(), { lr: 0.5 }));
    const stepR = new OptimizerStep(new optim.SGD(reference.parameters(), { lr: 0.5 }));
    const windows: number[][] = [];
    for (const [i, row] of [1, 3, 0].entries()) {
      const stats = torch.scope(() => {
        const [loss, n] = summed(accumulated, [row]);
        loss.backward();
        return acc.add(n, i === 2);
      });
      if (stats.isBoundary) {
        windows.push([stats.microBatches, stats.items as number]);
        stepA.step({ gradDivisor: stats.items });
      }
    }
    expect(windows).toEqual([[2, 9], [1, 2]]);
    for (const rows of [[1, 3], [0]]) {
      torch.scope(() => {
        const [loss, n] = summed(reference, rows);
        loss.div(n).backward();
      });
      stepR.step();
    }
    accumulated.parameters().forEach((p, i) => expect(p.allclose(reference.parameters()[i], { rtol: 0, atol: 1e-6 })).toBe(true));
    expect(() => new GradientAccumulator(0)).toThrow(/positive integer/);
  });
});

describe.skipIf(!py)('autocast', () => {
  it('CPU bfloat16 autocast matches PyTorch, nests, and restores', async () => {
    torch.manualSeed(5);
    const a = torch.randn([4, 8]), w = torch.randn([8, 3]);
    const inside = amp.autocast({ deviceType: 'cpu' }, () => {
      expect(amp.isAutocastEnabled('cpu')).toBe(true);
      const nested = amp.autocast({ deviceType: 'cpu', enabled: false }, () => a.matmul(w));
      expect(nested.dtype).toBe('float32');
      return a.matmul(w);
    });
    expect(inside.dtype).toBe('bfloat16');
    expect(amp.isAutocastEnabled('cpu')).toBe(false);
    expect(a.matmul(w).dtype).toBe('float32');
    const theirs = await py!.run<PyTensor>('with torch.autocast("cpu", dtype=torch.bfloat16):\n    out = a @ w', { a, w });
    expect(compareTensors(inside, theirs)).toBeNull();
    expect(() => amp.autocast({ deviceType: 'cpu' }, () => { throw new Error('inside'); })).toThrow('inside');
    expect(amp.isAutocastEnabled('cpu')).toBe(false);
    await amp.autocast({ deviceType: 'cpu' }, async () => {
      await Promise.resolve();
      expect(amp.isAutocastEnabled('cpu')).toBe(true);
    });
    expect(amp.isAutocastEnabled('cpu')).toBe(false);
    expect(() => amp.autocast({ deviceType: 'tpu' as never }, () => 0)).toThrow(/deviceType must be 'cuda' or 'cpu'/);
  });
});
