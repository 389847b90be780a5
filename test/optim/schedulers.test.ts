// LR (and momentum) sequences against torch.optim.lr_scheduler and the Hugging Face warmup
// formulas (LambdaLR), to 1e-12; stepping past the end is an error; state dicts resume.
import { afterAll, describe, expect, it } from 'vitest';
import { nn, optim, torch } from '../../lib/index.js';
import { TorchPython } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());

function params(n = 2) {
  return Array.from({ length: n }, () => new nn.Parameter(torch.zeros([2])));
}

type Seq = { lrs: number[][]; momenta: number[][] };

function record(opt: optim.Optimizer, sched: { step(): void }, steps: number, momentum: 'betas' | 'momentum' | null): Seq {
  const snap = () => ({
    lr: opt.paramGroups.map((g) => g.lr),
    m: momentum === null ? [] : opt.paramGroups.map((g) => (momentum === 'betas' ? g.betas[0] : g.momentum)),
  });
  const lrs: number[][] = [], momenta: number[][] = [];
  for (let i = 0; i < steps; i++) {
    const s = snap();
    lrs.push(s.lr);
    momenta.push(s.m);
    if (i < steps - 1) sched.step();
  }
  return { lrs, momenta };
}

const PY_RECORD = (optCode: string, schedCode: string, steps: number, momentum: string) => `
from torch.optim import lr_scheduler as L
import math
ps = [torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)]
${optCode}
${schedCode}
lrs, momenta = [], []
for i in range(${steps}):
    lrs.append([g["lr"] for g in opt.param_groups])
    momenta.append(${momentum === 'betas' ? '[g["betas"][0] for g in opt.param_groups]' : momentum === 'momentum' ? '[g["momentum"] for g in opt.param_groups]' : '[]'})
    if i < ${steps} - 1: sched.step()
out = {"lrs": lrs, "momenta": momenta}`;

function close(ours: number[][], theirs: number[][], what: string) {
  expect(ours.length).toBe(theirs.length);
  ours.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - theirs[i][j]), `${what} at step ${i}, group ${j}: ${v} vs ${theirs[i][j]}`).toBeLessThanOrEqual(1e-12)));
}

interface Case { name: string; momentum: 'betas' | 'momentum' | null; steps: number;
  ts: (ps: nn.Parameter[]) => [optim.Optimizer, { step(): void }]; pyOpt: string; pySched: string }

const twoGroups = (ps: nn.Parameter[]) => [{ params: [ps[0]] }, { params: [ps[1]], lr: 0.5 }];
const cases: Case[] = [
  { name: 'OneCycleLR cos, AdamW betas', momentum: 'betas', steps: 101,
    ts: (ps) => { const o = new optim.AdamW(ps); return [o, new optim.OneCycleLR(o, { maxLr: 0.01, totalSteps: 100 })]; },
    pyOpt: 'opt = torch.optim.AdamW(ps)', pySched: 'sched = L.OneCycleLR(opt, max_lr=0.01, total_steps=100)' },
  { name: 'OneCycleLR linear, SGD momentum, per-group maxLr', momentum: 'momentum', steps: 51,
    ts: (ps) => { const o = new optim.SGD(twoGroups(ps), { lr: 0.1, momentum: 0.9 }); return [o, new optim.OneCycleLR(o, { maxLr: [0.1, 0.2], epochs: 5, stepsPerEpoch: 10, pctStart: 0.25, annealStrategy: 'linear', divFactor: 10, finalDivFactor: 100 })]; },
    pyOpt: 'opt = torch.optim.SGD([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.5}], lr=0.1, momentum=0.9)',
    pySched: 'sched = L.OneCycleLR(opt, max_lr=[0.1, 0.2], epochs=5, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear", div_factor=10, final_div_factor=100)' },
  { name: 'OneCycleLR three-phase, no momentum cycling', momentum: null, steps: 61,
    ts: (ps) => { const o = new optim.AdamW(ps); return [o, new optim.OneCycleLR(o, { maxLr: 0.003, totalSteps: 60, threePhase: true, cycleMomentum: false })]; },
    pyOpt: 'opt = torch.optim.AdamW(ps)', pySched: 'sched = L.OneCycleLR(opt, max_lr=0.003, total_steps=60, three_phase=True, cycle_momentum=False)' },
  { name: 'warmup + cosine', momentum: null, steps: 81,
    ts: (ps) => { const o = new optim.AdamW(twoGroups(ps), { lr: 3e-4 }); return [o, new optim.WarmupCosineLR(o, { warmupSteps: 10, totalSteps: 80 })]; },
    pyOpt: 'opt = torch.optim.AdamW([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.5}], lr=3e-4)',
    pySched: 'def f(s):\n    if s < 10: return float(s) / float(max(1, 10))\n    p = float(s - 10) / float(max(1, 80 - 10))\n    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(0.5) * 2.0 * p)))\nsched = L.LambdaLR(opt, f)' },
  { name: 'warmup + cosine with a floor', momentum: null, steps: 51,
    ts: (ps) => { const o = new optim.SGD(ps, { lr: 0.1 }); return [o, new optim.WarmupCosineLR(o, { warmupSteps: 5, totalSteps: 50, minLrRatio: 0.1 })]; },
    pyOpt: 'opt = torch.optim.SGD(ps, lr=0.1)',
    pySched: 'def f(s):\n    if s < 5: return float(s) / float(max(1, 5))\n    p = float(s - 5) / float(max(1, 50 - 5))\n    x = 0.5 * (1.0 + math.cos(math.pi * float(0.5) * 2.0 * p))\n    x = x * (1 - 0.1) + 0.1\n    return max(0, x)\nsched = L.LambdaLR(opt, f)' },
  { name: 'warmup + linear decay', momentum: null, steps: 41,
    ts: (ps) => { const o = new optim.SGD(ps, { lr: 0.1 }); return [o, new optim.WarmupLinearLR(o, { warmupSteps: 7, totalSteps: 40 })]; },
    pyOpt: 'opt = torch.optim.SGD(ps, lr=0.1)',
    pySched: 'def f(s):\n    if s < 7: return float(s) / float(max(1, 7))\n    return max(0.0, float(40 - s) / float(max(1, 40 - 7)))\nsched = L.LambdaLR(opt, f)' },
  { name: 'constant after warmup', momentum: null, steps: 20,
    ts: (ps) => { const o = new optim.SGD(ps, { lr: 0.1 }); return [o, new optim.WarmupConstantLR(o, { warmupSteps: 4, totalSteps: 100 })]; },
    pyOpt: 'opt = torch.optim.SGD(ps, lr=0.1)',
    pySched: 'def f(s):\n    if s < 4: return float(s) / float(max(1.0, 4))\n    return 1.0\nsched = L.LambdaLR(opt, f)' },
  { name: 'StepLR', momentum: null, steps: 35,
    ts: (ps) => { const o = new optim.SGD(twoGroups(ps), { lr: 0.1 }); return [o, new optim.StepLR(o, 7, 0.3)]; },
    pyOpt: 'opt = torch.optim.SGD([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.5}], lr=0.1)', pySched: 'sched = L.StepLR(opt, 7, 0.3)' },
];

describe.skipIf(!py)('schedules match PyTorch to 1e-12', () => {
  it.each(cases)('$name', async (c) => {
    const [opt, sched] = c.ts(params());
    const ours = record(opt, sched, c.steps, c.momentum);
    const theirs = await py!.run<Seq>(PY_RECORD(c.pyOpt, c.pySched, c.steps, String(c.momentum)));
    close(ours.lrs, theirs.lrs, 'lr');
    close(ours.momenta, theirs.momenta, 'momentum');
  });

  it('OneCycleLR refuses exactly the schedules PyTorch raises ZeroDivisionError on', async () => {
    const grid: [number, number, boolean][] = [];
    for (const total of [1, 2, 3, 4, 5, 9, 10, 20, 33]) {
      for (const pct of [0, 0.1, 0.2, 0.3, 0.5, 1 / total, 2 / total, (total + 1) / (2 * total), 1]) {
        if (pct <= 1) for (const three of [false, true]) grid.push([total, pct, three]);
      }
    }
    const ours = grid.map(([total, pctStart, threePhase]) => {
      try {
        new optim.OneCycleLR(new optim.AdamW(params(1)), { maxLr: 0.1, totalSteps: total, pctStart, threePhase });
        return false;
      } catch {
        return true;
      }
    });
    const theirs = await py!.run<boolean[]>(`out = []
for total, pct, three in ${JSON.stringify(grid).replace(/true/g, 'True').replace(/false/g, 'False')}:
    opt = torch.optim.AdamW([torch.zeros(2, requires_grad=True)])
    try:
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=total, pct_start=float(pct), three_phase=three)
        for _ in range(total): sched.step()
        out.append(False)
    except ZeroDivisionError:
        out.append(True)`);
    expect(ours).toEqual(theirs);
    expect(ours.filter(Boolean).length).toBeGreaterThan(5);
  });

  it('ReduceLROnPlateau', async () => {
    const opt = new optim.SGD(params(), { lr: 1 });
    const sched = new optim.ReduceLROnPlateau(opt, { patience: 2, factor: 0.5, cooldown: 1, threshold: 0.01 });
    const metrics = [10, 9, 9, 9, 9, 8.95, 8.9, 8.9, 8.9, 8.9, 8.9, 5, 5, 5, 5, 5];
    const ours = metrics.map((m) => { sched.step(m); return opt.paramGroups[0].lr; });
    const theirs = await py!.run<number[]>(`ps = [torch.zeros(2, requires_grad=True)]
opt = torch.optim.SGD(ps, lr=1)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1, threshold=0.01)
out = []
for m in ${JSON.stringify(metrics)}:
    sched.step(m)
    out.append(opt.param_groups[0]["lr"])`);
    expect(ours).toEqual(theirs);
  });
});

describe('schedule behaviour', () => {
  it('stepping past totalSteps is an error, as in PyTorch', () => {
    const opt = new optim.AdamW(params());
    const sched = new optim.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) sched.step();
    expect(() => sched.step()).toThrow(/Tried to step 4 times. The specified number of total steps is 3/);
    const w = new optim.WarmupLinearLR(new optim.SGD(params()), { warmupSteps: 1, totalSteps: 2 });
    w.step();
    w.step();
    expect(() => w.step()).toThrow(/Tried to step 3 times/);
  });

  it('bad configurations are clear errors', () => {
    const opt = new optim.AdamW(params());
    expect(() => new optim.OneCycleLR(opt, { maxLr: 0.1 })).toThrow(/either totalSteps OR \(epochs AND stepsPerEpoch\)/);
    expect(() => new optim.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, pctStart: 2 })).toThrow(/between 0 and 1 pct_start/);
    expect(() => new optim.OneCycleLR(opt, { maxLr: [0.1, 0.2], totalSteps: 10 })).toThrow(/expected 1 values for max_lr, got 2/);
    expect(() => new optim.WarmupCosineLR(opt, { warmupSteps: 20, totalSteps: 10 })).toThrow(/exceeds totalSteps/);
  });

  it('a OneCycle phase of zero length is refused at construction, with the values and the fix', () => {
    // The Trainer's default warmupRatio 0.1 on a 10-step run: the warm-up ends at 0.1 x 10 - 1 = 0.
    const opt = new optim.AdamW(params());
    expect(() => new optim.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, pctStart: 0.1 }))
      .toThrow(/totalSteps 10 with pctStart 0.1 gives a warm-up phase of zero length.*Fix: pctStart x totalSteps must not be 1: use pctStart 0 \(no warm-up\) or at least 0.2/);
    expect(opt.paramGroups[0].extra.max_lr).toBeUndefined(); // refused before touching the optimizer
    expect(() => new optim.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, pctStart: 1 })).toThrow(/annealing phase of zero length.*pctStart below 1/);
    expect(() => new optim.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 9, pctStart: 5 / 9, threePhase: true })).toThrow(/final annihilation phase of zero length/);
  });

  it('every schedule it accepts stays finite to the last step', () => {
    for (let total = 1; total <= 40; total++) {
      for (const pctStart of [0, 0.05, 0.1, 0.25, 0.3, 0.5, 1 / total, 2 / total, 0.99, 1]) {
        for (const threePhase of [false, true]) {
          if (pctStart > 1) continue;
          const opt = new optim.SGD(params(1), { lr: 0.1, momentum: 0.9 });
          let sched: optim.OneCycleLR;
          try {
            sched = new optim.OneCycleLR(opt, { maxLr: 0.1, totalSteps: total, pctStart, threePhase });
          } catch (e) {
            expect(String(e)).toMatch(/phase of zero length/);
            continue;
          }
          for (let k = 0; k <= total; k++) {
            const { lr, momentum } = opt.paramGroups[0];
            expect(Number.isFinite(lr) && Number.isFinite(momentum), `total ${total} pctStart ${pctStart} threePhase ${threePhase} step ${k}`).toBe(true);
            if (k < total) sched.step();
          }
        }
      }
    }
  });

  it('state dicts resume a schedule exactly (the PyTorch way: new objects, then load both states)', () => {
    const lrs = (opt: optim.Optimizer, sched: optim.LRScheduler, steps: number) =>
      Array.from({ length: steps }, () => { const lr = opt.paramGroups[0].lr; sched.step(); return lr; });
    const opt = new optim.AdamW(params());
    const sched = new optim.OneCycleLR(opt, { maxLr: 0.01, totalSteps: 50 });
    const first = lrs(opt, sched, 23);
    const opt2 = new optim.AdamW(params());
    const sched2 = new optim.OneCycleLR(opt2, { maxLr: 0.01, totalSteps: 50 });
    opt2.loadStateDict(opt.stateDict());
    sched2.loadStateDict(sched.stateDict());
    const resumed = lrs(opt2, sched2, 27);
    const reference = new optim.AdamW(params());
    expect([...first, ...resumed]).toEqual(lrs(reference, new optim.OneCycleLR(reference, { maxLr: 0.01, totalSteps: 50 }), 50));
  });
});
