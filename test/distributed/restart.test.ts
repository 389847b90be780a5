// A killed rank under torchrun --max-restarts (issue 15, point 4): rank 1 of a 2-rank data-parallel
// Trainer SIGKILLs itself after a step on the first attempt; its peer fails within the process
// group's timeout with an error (not a hang), torchrun restarts the worker group, both ranks resume
// from the newest valid checkpoint, the job exits 0, and the final float64 weights are exactly
// those of an uninterrupted 2-rank run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildInfo } from '../../lib/core/addon.js';
import { parityRequired, referencePython } from '../helpers/python.js';
import { ROOT, freePort, script } from './launch.js';

const python = referencePython();
const torchrun = python ? path.join(path.dirname(python), 'torchrun') : null;
// Debian's torchrun 1.13 cannot start workers under Python 3.11 (see torchrun.test.ts).
const brokenLauncher = buildInfo?.libtorch.version.startsWith('1.') ?? false;
if (brokenLauncher) console.warn('\nRESTART TEST NOT RUN: Debian\'s torchrun 1.13 fails on Python 3.11; run it with the PyPI build\n');
const available = torchrun !== null && fs.existsSync(torchrun) && !brokenLauncher;
if (!available && !brokenLauncher) {
  if (parityRequired) throw new Error(`torchrun not found next to the reference Python (${python})`);
  console.warn('\nRESTART TEST NOT RUN: no torchrun next to the reference Python\n');
}

const root = fs.mkdtempSync(path.join(tmpdir(), 'tt-restart-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const STEPS = 10; // 8 steps per epoch: the restart resumes epoch 0 mid-way, then goes into epoch 1
const EVERY = 3;
const KILL_AT = 5; // after checkpoint-3, before checkpoint-6
// Small, so that a survivor that waited for its dead peer would still fail well inside the test's
// timeout; torchrun gives a worker it stops 30 s after SIGTERM, longer than this.
const TIMEOUT_MS = 20_000;

interface Attempt {
  rank: number; attempt: number; resumedAt: number | null; step?: number; killedAtStep?: number; error?: string; name?: string;
  killedInWriteOf?: string; written?: string[];
}

/** Runs restart-train.ts under torchrun (2 ranks, c10d rendezvous on a free port); returns its exit and output. */
async function launch(name: string, maxRestarts: number, killAtStep?: number, killInWrite?: { step: number; file: string }) {
  const out = path.join(root, name);
  const checkpointDir = path.join(out, 'ckpt');
  fs.mkdirSync(out, { recursive: true });
  const port = await freePort();
  const options = { out, checkpointDir, steps: STEPS, everyNSteps: EVERY, timeoutMs: TIMEOUT_MS, killAtStep, killInWrite };
  const child = spawn(torchrun!, ['--nnodes', '1', '--nproc-per-node', '2', '--max-restarts', String(maxRestarts),
    '--rdzv-backend', 'c10d', '--rdzv-endpoint', `127.0.0.1:${port}`, '--rdzv-id', `tt-restart-${name}`,
    '--no-python', process.execPath, '--no-warnings', '--import', 'tsx', script('restart-train.ts'), JSON.stringify(options)],
  { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-30_000)));
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-30_000)));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const attempts = fs.readdirSync(out).filter((f) => f.startsWith('attempt-')).sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as Attempt);
  const entries = fs.existsSync(checkpointDir) ? fs.readdirSync(checkpointDir) : [];
  const checkpoints = entries.filter((n) => n.startsWith('checkpoint-'));
  const final = (rank: number) => fs.readFileSync(path.join(out, `final-${rank}.safetensors`));
  return { code, output, attempts, checkpoints, entries, final };
}

// The uninterrupted run both fault tests compare with (made once).
let wholeRun: ReturnType<typeof launch> | null = null;
const uninterrupted = () => (wholeRun ??= launch('whole', 0));

describe.skipIf(!available)('a rank killed under torchrun --max-restarts 1', () => {
  it('fails its peer within the timeout, restarts, resumes from the newest checkpoint and ends as an uninterrupted run', async () => {
    const whole = await uninterrupted();
    expect(whole.code, whole.output).toBe(0);
    expect(whole.attempts.map((a) => [a.attempt, a.rank, a.resumedAt, a.step])).toEqual([[0, 0, 0, STEPS], [0, 1, 0, STEPS]]);

    const faulty = await launch('faulty', 1, KILL_AT);
    expect(faulty.code, faulty.output).toBe(0);
    const byKey = Object.fromEntries(faulty.attempts.map((a) => [`${a.attempt}/${a.rank}`, a]));
    expect(Object.keys(byKey).sort(), faulty.output).toEqual(['0/0', '0/1', '1/0', '1/1']);
    // First attempt: rank 1 died after step 5; rank 0 failed in a collective, naming it, its rank
    // and the timeout, instead of waiting for ever (torchrun would only have stopped it later).
    expect(byKey['0/1']).toMatchObject({ resumedAt: 0, killedAtStep: KILL_AT });
    const survivor = byKey['0/0'];
    expect(survivor.name, faulty.output).toBe('TorchError');
    expect(survivor.error).toMatch(new RegExp(`^distributed\\.\\w+ failed on rank 0 of 2, gloo \\(timeout ${TIMEOUT_MS} ms\\)`));
    // It cannot finish a step without rank 1's gradients (KILL_AT - 1 only if the kill's reset
    // dropped rank 1's last bytes of step KILL_AT), so no checkpoint past the kill is written.
    expect(survivor.step).toBeGreaterThanOrEqual(KILL_AT - 1);
    expect(survivor.step).toBeLessThanOrEqual(KILL_AT);
    expect(faulty.output).toMatch(/exitcode: -9/); // torchrun saw rank 1's SIGKILL
    // Second attempt: both ranks resumed from checkpoint-3 (the newest valid one) and finished.
    expect([byKey['1/0'], byKey['1/1']].map((a) => [a.resumedAt, a.step, a.error])).toEqual([[3, STEPS, undefined], [3, STEPS, undefined]]);
    expect(faulty.checkpoints.sort()).toEqual(whole.checkpoints.sort());

    // Exactly the uninterrupted run's weights, on both ranks (float64; the files byte for byte).
    for (const rank of [0, 1]) expect(faulty.final(rank).equals(whole.final(rank)), `rank ${rank}'s final weights differ`).toBe(true);
    expect(whole.final(0).equals(whole.final(1))).toBe(true);
  }, 600_000);

  it('rank 0 killed while writing a checkpoint: the half-written folder is ignored and removed, the restart resumes from the previous one', async () => {
    const whole = await uninterrupted();
    const killed = await launch('killed-in-write', 1, undefined, { step: 2 * EVERY, file: 'optimizer.pt' });
    expect(killed.code, killed.output).toBe(0);
    const byKey = Object.fromEntries(killed.attempts.map((a) => [`${a.attempt}/${a.rank}`, a]));
    expect(Object.keys(byKey).sort(), killed.output).toEqual(['0/0', '0/1', '1/0', '1/1']);
    // Rank 0 died inside checkpoint-6's temporary folder with model.safetensors written, no manifest.
    expect(byKey['0/0'].killedInWriteOf).toMatch(/^checkpoint-6\.torchtrain-tmp-/);
    expect(byKey['0/0'].written).toEqual(['model.safetensors']);
    expect(byKey['0/1'].name, killed.output).toBe('TorchError'); // its peer failed at the checkpoint's barrier
    // The restart resumed from checkpoint-3 (checkpoint-6 was never complete), wrote checkpoint-6
    // again, and the dead writer's temporary folder is gone.
    expect([byKey['1/0'], byKey['1/1']].map((a) => [a.resumedAt, a.step, a.error])).toEqual([[EVERY, STEPS, undefined], [EVERY, STEPS, undefined]]);
    expect(killed.entries.filter((n) => n.includes('.torchtrain-tmp-'))).toEqual([]);
    expect(killed.checkpoints.sort()).toEqual(whole.checkpoints.sort());
    for (const rank of [0, 1]) expect(killed.final(rank).equals(whole.final(rank)), `rank ${rank}'s final weights differ`).toBe(true);
  }, 600_000);
});
