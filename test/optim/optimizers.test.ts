// Optimizer trajectories against torch.optim (same model, data, initial weights): 200 steps of
// AdamW and SGD in their variants, exact; state dicts that resume exactly; option errors.
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, nn, optim, torch } from '../../lib/index.js';
import { type PyTensor, TorchPython, compareTensors } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());

function model(seed: number): nn.Sequential {
  torch.manualSeed(seed);
  return new nn.Sequential(new nn.Linear(6, 16), new nn.Tanh(), new nn.Linear(16, 3));
}
const PY_MODEL = (seed: number) => `torch.manual_seed(${seed})\nm = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))`;

function data(): [Tensor, Tensor] {
  torch.manualSeed(99);
  return [torch.keep(torch.randn([32, 6])), torch.keep(torch.randn([32, 3]))];
}

function train(m: nn.Module, opt: optim.Optimizer, x: Tensor, y: Tensor, steps: number): number[] {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push(torch.scope(() => {
      opt.zeroGrad();
      const loss = nn.functional.mseLoss(m.forward(x), y);
      loss.backward();
      opt.step();
      return loss.item();
    }));
  }
  return losses;
}

const PY_TRAIN = (optCode: string, steps: number) => `${optCode}
losses = []
for i in range(${steps}):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(m(x), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
out = {"params": [p.detach() for p in m.parameters()], "losses": losses}`;

interface Case { name: string; ts: (m: nn.Sequential) => optim.Optimizer; py: string }
const cases: Case[] = [
  { name: 'AdamW defaults', ts: (m) => new optim.AdamW(m.parameters()), py: 'opt = torch.optim.AdamW(m.parameters())' },
  { name: 'AdamW lr, betas, eps, weight decay', ts: (m) => new optim.AdamW(m.parameters(), { lr: 3e-3, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1 }),
    py: 'opt = torch.optim.AdamW(m.parameters(), lr=3e-3, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)' },
  { name: 'AdamW amsgrad', ts: (m) => new optim.AdamW(m.parameters(), { lr: 1e-2, amsgrad: true }), py: 'opt = torch.optim.AdamW(m.parameters(), lr=1e-2, amsgrad=True)' },
  { name: 'AdamW param groups', ts: (m) => new optim.AdamW([{ params: m.at(0).parameters(), lr: 1e-2 }, { params: m.at(2).parameters(), weightDecay: 0 }], { lr: 2e-3 }),
    py: 'opt = torch.optim.AdamW([{"params": m[0].parameters(), "lr": 1e-2}, {"params": m[2].parameters(), "weight_decay": 0}], lr=2e-3)' },
  { name: 'SGD plain', ts: (m) => new optim.SGD(m.parameters(), { lr: 0.05 }), py: 'opt = torch.optim.SGD(m.parameters(), lr=0.05)' },
  { name: 'SGD momentum, dampening, weight decay', ts: (m) => new optim.SGD(m.parameters(), { lr: 0.02, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3 }),
    py: 'opt = torch.optim.SGD(m.parameters(), lr=0.02, momentum=0.9, dampening=0.1, weight_decay=1e-3)' },
  { name: 'SGD nesterov', ts: (m) => new optim.SGD(m.parameters(), { lr: 0.02, momentum: 0.9, nesterov: true }), py: 'opt = torch.optim.SGD(m.parameters(), lr=0.02, momentum=0.9, nesterov=True)' },
  { name: 'SGD maximize', ts: (m) => new optim.SGD(m.parameters(), { lr: 0.01, momentum: 0.5, maximize: true }), py: 'opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.5, maximize=True)' },
];

describe.skipIf(!py)('200-step trajectories match torch.optim', () => {
  const [x, y] = data();
  it.each(cases)('$name', async (c) => {
    const m = model(5);
    const opt = c.ts(m);
    const losses = train(m, opt, x, y, 200);
    const theirs = await py!.run<{ params: PyTensor[]; losses: number[] }>(`${PY_MODEL(5)}\n${PY_TRAIN(c.py, 200)}`, { x, y });
    const params = m.parameters();
    let worst = 0;
    params.forEach((p, i) => {
      const a = p.data(), b = theirs.params[i].data;
      for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(Number(a[k]) - Number(b[k])));
    });
    expect(worst, `${c.name}: max abs parameter difference after 200 steps`).toBeLessThanOrEqual(1e-6);
    params.forEach((p, i) => expect(compareTensors(p, theirs.params[i]), `${c.name}: param ${i} bit-exact`).toBeNull());
    expect(losses).toEqual(theirs.losses);
    if (!c.name.includes('maximize')) expect(losses[199]).toBeLessThan(losses[0]);
    opt.dispose();
  });
});

describe('optimizer state', () => {
  const [x, y] = data();

  it('stateDict/loadStateDict resume exactly', () => {
    const a = model(7), b = model(7);
    const optA = new optim.AdamW(a.parameters(), { lr: 5e-3, amsgrad: true });
    train(a, optA, x, y, 20);
    b.loadStateDict(a.stateDict());
    const optB = new optim.AdamW(b.parameters(), { lr: 1 });
    optB.loadStateDict(optA.stateDict());
    expect(optB.paramGroups[0].lr).toBe(5e-3);
    expect(optB.paramGroups[0].amsgrad).toBe(true);
    const sd = optB.stateDict();
    expect(Object.keys(sd.state[0]).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
    expect(sd.state[0].step.item()).toBe(20);
    expect(sd.param_groups[0]).toMatchObject({ lr: 5e-3, betas: [0.9, 0.999], weight_decay: 0.01, params: [0, 1, 2, 3] });
    expect(train(a, optA, x, y, 15)).toEqual(train(b, optB, x, y, 15));
    b.parameters().forEach((p, i) => expect(p.equal(a.parameters()[i])).toBe(true));
  });

  it('SGD momentum buffers round-trip', () => {
    const a = model(8), b = model(8);
    const optA = new optim.SGD(a.parameters(), { lr: 0.1, momentum: 0.9 });
    train(a, optA, x, y, 5);
    b.loadStateDict(a.stateDict());
    const optB = new optim.SGD(b.parameters(), { lr: 0.1, momentum: 0.9 });
    optB.loadStateDict(optA.stateDict());
    expect(train(a, optA, x, y, 5)).toEqual(train(b, optB, x, y, 5));
  });

  it('groups can be added and changed after construction', () => {
    const m = model(9);
    const opt = new optim.SGD(m.at(0).parameters(), { lr: 0.1 });
    opt.addParamGroup({ params: m.at(2).parameters(), lr: 0.01, momentum: 0.5 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).toEqual([[0.1, 0], [0.01, 0.5]]);
    opt.paramGroups[0].lr = 0.3;
    expect(opt.paramGroups[0].lr).toBe(0.3);
    expect(() => opt.addParamGroup({ params: m.at(0).parameters() })).toThrow(/more than one parameter group/);
  });

  it('bad options are clear errors', () => {
    const ps = model(1).parameters();
    expect(() => new optim.AdamW(ps, { lr: -1 })).toThrow(/invalid learning rate: -1/);
    expect(() => new optim.AdamW(ps, { betas: [0.9, 1] })).toThrow(/invalid beta parameter at index 1: 1 \(expected a number in \[0, 1\)\)/);
    expect(() => new optim.AdamW(ps, { eps: NaN })).toThrow(/invalid epsilon value/);
    expect(() => new optim.SGD(ps, { nesterov: true })).toThrow(/Nesterov momentum requires a momentum and zero dampening/);
    expect(() => new optim.SGD([], {})).toThrow(/empty parameter list/);
    expect(() => new optim.SGD([torch.ones([2]) as never])).toThrow(/not an nn.Parameter/);
    const opt = new optim.SGD(ps);
    expect(() => (opt.paramGroups[0].lr = -3)).toThrow(/invalid learning rate/);
  });
});
