// Crash-only: worker threads running torchtrain work (tensor math, autograd, AdamW steps, failing
// ops, io.save/load, a TorchScript forward) terminated at seeded random moments, two at a time,
// some while still loading the addon, while the main thread computes. The process must live on
// (issue 10, item 1: this used to abort with "terminate called after throwing an instance of
// 'Napi::Error'"). test/core/worker-termination.test.ts checks what the cleanup frees.
import { describe, expect, it } from 'vitest';
import { explain, runScenario, scenario } from './child-process.js';

const seed = Number(process.env.TORCHTRAIN_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROUNDS = 6;

describe('worker termination', () => {
  it(`terminating workers mid-op never kills the process (seed ${seed}, ${ROUNDS} rounds of 2)`, async () => {
    const r = await runScenario(scenario('worker-termination.ts'), { args: [String(seed), String(ROUNDS)], timeoutMs: 150_000 });
    const last = r.stdout.trim().split('\n').filter((l) => l.startsWith('TERMINATE')).pop();
    expect(r.signal === null && r.code === 0, `${explain(r, 'worker termination')}\nlast: ${last}\nreproduce: npx tsx test/crash/scenarios/worker-termination.ts ${seed} ${ROUNDS}`).toBe(true);
    const result = JSON.parse(/^RESULT (.*)$/m.exec(r.stdout)![1]);
    expect(result.terminated).toBe(2 * ROUNDS);
    expect(result.sum).toBe(1000);
  }, 180_000);
});
