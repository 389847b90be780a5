// Crash-only: hostile files of every format torchtrain reads (safetensors, torch.save zip,
// TorchScript zip, IDX plain and gzipped, JSON lines): truncations, zero-length and short
// records, swapped records, bit flips at random offsets, declared sizes and offsets far past the
// end, junk and deep nesting. io.loadSafetensors, io.load and jit.load (each given every archive),
// data.readIdx and data.JsonlDataset refuse with an Error (the io readers naming the file) or
// load what is still readable, and using what loaded never kills the process. Seeded: TORCHTRAIN_CRASH_SEED repeats
// a run; the scenario prints the mutant and reader it was on when it died.
import { describe, expect, it } from 'vitest';
import { explain, runScenario, scenario } from './child-process.js';

const seed = Number(process.env.TORCHTRAIN_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PER_FORMAT = 150;

describe('hostile archives', () => {
  it(`are refused or loaded, never fatal (seed ${seed}, ${PER_FORMAT} mutants per format)`, async () => {
    const r = await runScenario(scenario('hostile-archives.ts'), { args: [String(seed), String(PER_FORMAT)], timeoutMs: 150_000 });
    const last = r.stdout.trim().split('\n').filter((l) => l.startsWith('TRY')).pop();
    const dir = /^DIR (.*)$/m.exec(r.stdout)?.[1];
    const index = last && /^TRY (\w+) (\d+)/.exec(last);
    const reproduce = index ? `npx tsx test/crash/scenarios/hostile-archives.ts ${seed} ${PER_FORMAT} ${index[1]}:${index[2]} (the file: ${dir}/${index[1]}-${index[2]}.bin)` : '';
    expect(r.signal === null && r.code === 0, `${explain(r, 'hostile archives')}\nlast step: ${last}\nreproduce: ${reproduce}`).toBe(true);
    const result = JSON.parse(/^RESULT (.*)$/m.exec(r.stdout)![1]);
    expect(result.violations, `seed ${seed}; repeat one with: npx tsx test/crash/scenarios/hostile-archives.ts ${seed} ${PER_FORMAT} <format>:<index>`).toEqual([]);
    expect(result.mutants).toBe(5 * PER_FORMAT);
    expect(result.alive).toBe(4);
    // Most damage is caught by each format's own reader; some (flips in padding or in raw tensor
    // bytes, which carry no checksum in safetensors) still loads.
    for (const [format, reader] of [['safetensors', 'io.loadSafetensors'], ['torchsave', 'io.load'], ['torchscript', 'jit.load'], ['idx', 'data.readIdx']]) {
      expect(result.counts[`${format} via ${reader}`].refused, format).toBeGreaterThan(PER_FORMAT / 2);
    }
  }, 180_000);
});
