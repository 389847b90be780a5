// The torchtrain side of bench:ops, run in the orchestrator's own process (nothing else runs in
// it while a pass is timed: the other sides' processes wait on their stdin meanwhile).
// Mirrors ops.py and floor.cpp op for op.
import { torch, type Tensor } from '../../lib/index.js';
import { CHAIN_LENGTH, OPS, type SideHello } from './spec.js';

type Step = () => void;

/**
 * Runs `n` iterations of `step`, `scopeEvery` of them per torch.scope, so every result is freed
 * by the scope that made it. The scope's own cost (tracking, one freeMany) is inside the timing
 * on purpose: it is what a user's hot loop pays.
 */
function runLoop(step: Step, n: number, scopeEvery: number): void {
  for (let done = 0; done < n; done += scopeEvery) {
    const m = Math.min(scopeEvery, n - done);
    torch.scope(() => {
      for (let i = 0; i < m; i++) step();
    });
  }
}

/** One timed pass of `n` iterations; microseconds per iteration. */
function onePass(step: Step, n: number, scopeEvery: number): number {
  const t0 = process.hrtime.bigint();
  runLoop(step, n, scopeEvery);
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

/** Makes a leaf parameter the way ops.py does (randn * scale, then requires_grad). */
function param(shape: number[], scale: number): Tensor {
  // The scope frees the unscaled randn; the returned parameter outlives it.
  return torch.scope(() => torch.randn(shape).mul(scale).requiresGrad_());
}

/** The torchtrain side as run.ts drives it: facts about it, one timed pass at a time, then close. */
export interface TorchtrainSide {
  hello: SideHello;
  pass(key: string, n: number): number;
  /** Frees the inputs; returns a note if live tensor handles grew over the run (a leak in the loops). */
  close(): string | undefined;
}

export function createTorchtrainSide(threads: number): TorchtrainSide {
  torch.setNumThreads(threads);
  torch.manualSeed(0);
  const liveBefore = torch.memory().tensors;

  const a = torch.ones([1]);
  const b = torch.ones([1]);
  const ma = torch.randn([64, 64]);
  const mb = torch.randn([64, 64]);
  const x = torch.randn([32, 784]);
  const w1 = param([784, 256], 0.05), b1 = param([256], 0.05);
  const w2 = param([256, 128], 0.05), b2 = param([128], 0.05);
  const w3 = param([128, 10], 0.05), b3 = param([10], 0.05);
  const params = [w1, b1, w2, b2, w3, b3];

  const steps: Record<string, Step> = {
    add: () => void a.add(b),
    mul: () => void a.mul(b),
    relu: () => void a.relu(),
    sum: () => void a.sum(),
    matmul64: () => void ma.matmul(mb),
    chain100: () => {
      let y = a;
      for (let k = 0; k < CHAIN_LENGTH; k++) y = k & 1 ? y.add(b) : y.mul(b);
    },
    mlp: () => {
      const h1 = x.matmul(w1).add(b1).relu();
      const h2 = h1.matmul(w2).add(b2).relu();
      const out = h2.matmul(w3).add(b3);
      out.square().mean().backward();
      // Drop the grads (PyTorch's zero_grad(set_to_none=True)) so every step allocates fresh
      // ones exactly as ops.py and floor.cpp do, and memory stays flat.
      for (const p of params) p.grad = null;
    },
  };
  const scopeEvery = new Map(OPS.map((op) => [op.key, op.scopeEvery]));

  const info = torch.info();
  return {
    hello: { side: 'torchtrain', version: info.libtorchVersion, threads: torch.getNumThreads(), libDir: info.libtorchDir ?? undefined },
    pass(key, n) {
      const step = steps[key];
      if (!step) throw new Error(`torchtrain side: unknown op ${key}`);
      return onePass(step, n, scopeEvery.get(key) ?? 1000);
    },
    close() {
      torch.dispose([a, b, ma, mb, x, ...params]);
      const liveAfter = torch.memory().tensors;
      return liveAfter > liveBefore ? `live tensor handles grew from ${liveBefore} to ${liveAfter} during the run` : undefined;
    },
  };
}
