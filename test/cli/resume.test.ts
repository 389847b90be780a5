// THE resume test of the `torchtrain` command: a fit killed with SIGKILL during training (after
// its first checkpoint) and continued with `torchtrain resume <run-dir>` ends with weights equal,
// tensor for tensor, to those of the same run left alone (CPU). Also: SIGTERM stops a fit with
// exit code 143 after saving a checkpoint, and the session says 'interrupted'.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionManager } from '../../lib/cli/session.js';
import { list as listCheckpoints } from '../../lib/checkpoint/index.js';
import { loadSafetensors } from '../../lib/io/safetensors.js';
import { torch } from '../../lib/index.js';
import { type CliResult, explain, runCli } from './cli-process.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-cli-resume-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const MAX_STEPS = 48;

/** A tiny MLP regression run: 64 samples, 8 per batch (8 steps an epoch, shuffled), a checkpoint every 4 steps. */
function writeConfig(): string {
  const file = path.join(work, 'tiny.yaml');
  fs.writeFileSync(file, `version: 2
name: tiny-mlp
model: { zoo: mlp, config: { inFeatures: 4, hiddenSizes: [32, 32], outFeatures: 1, dropout: 0.1 } }
task: { type: regression }
data:
  train: { module: ${path.join(HERE, 'fixtures/tiny-data.ts')}, export: regression, options: { n: 64, seed: 1, delayMs: 6 } }
  val: { module: ${path.join(HERE, 'fixtures/tiny-data.ts')}, export: regression, options: { n: 16, seed: 2 } }
  batchSize: 8
trainer: { maxSteps: ${MAX_STEPS}, seed: 7, optimizer: { lr: 3.0e-3 }, schedule: { name: onecycle } }
checkpoint: { everyNSteps: 4 }
`);
  return file;
}

/** The weights of a run folder's newest valid checkpoint. */
function finalWeights(runDir: string): { step: number; tensors: Record<string, number[]> } {
  const newest = listCheckpoints(path.join(runDir, 'checkpoints')).filter((c) => c.valid).at(-1)!;
  const sd = loadSafetensors(path.join(newest.path, 'model.safetensors'));
  const tensors = Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, Array.from(t.data() as Float32Array)]));
  torch.dispose(sd);
  return { step: newest.step, tensors };
}

const ok = (r: CliResult, what: string) => expect(r.code, explain(r, what)).toBe(0);

describe('torchtrain resume after kill -9', () => {
  const config = writeConfig();

  it('finishes the run with the weights of an uninterrupted run, exactly', async () => {
    const straight = path.join(work, 'straight');
    ok(await runCli(['fit', '--config', config, '--run-dir', straight, '--no-export']), 'uninterrupted fit');
    expect(SessionManager.open(straight).status).toBe('completed');

    const killed = path.join(work, 'killed');
    let killedAtStep = -1;
    const first = await runCli(['fit', '--config', config, '--run-dir', killed, '--no-export'], {
      onStart: (child) => {
        const poll = setInterval(() => {
          const valid = listCheckpoints(path.join(killed, 'checkpoints')).filter((c) => c.valid);
          if (valid.length > 0) {
            clearInterval(poll);
            killedAtStep = valid.at(-1)!.step;
            child.kill('SIGKILL');
          }
        }, 20);
        child.on('close', () => clearInterval(poll));
      },
    });
    expect(first.signal, explain(first, 'the fit to kill')).toBe('SIGKILL');
    expect(killedAtStep).toBeGreaterThan(0);
    // The kill came during training, not after it.
    const left = listCheckpoints(path.join(killed, 'checkpoints')).filter((c) => c.valid).map((c) => c.step);
    expect(Math.max(...left)).toBeLessThan(MAX_STEPS);
    const crashed = SessionManager.open(killed);
    expect(crashed.status).toBe('crashed');
    expect(crashed.isDone('train')).toBe(false);
    expect(crashed.isDone('build-model')).toBe(true);

    const resumed = await runCli(['resume', killed]);
    ok(resumed, 'resume');
    expect(resumed.stdout).toMatch(/continuing from the newest valid checkpoint/);
    const session = SessionManager.open(killed);
    expect(session.status).toBe('completed');
    expect(session.attempts.map((a) => a.status)).toEqual(['failed', 'completed']);
    expect(session.phases.map((p) => p.name)).toEqual(['prepare-data', 'build-model', 'check', 'train', 'evaluate']);

    const a = finalWeights(straight);
    const b = finalWeights(killed);
    expect(b.step).toBe(MAX_STEPS);
    expect(a.step).toBe(MAX_STEPS);
    expect(Object.keys(b.tensors).sort()).toEqual(Object.keys(a.tensors).sort());
    for (const [name, values] of Object.entries(a.tensors)) expect(b.tensors[name], name).toEqual(values);
    // evaluate ran on the final weights both times
    expect(JSON.parse(fs.readFileSync(path.join(killed, 'evaluation.json'), 'utf8'))).toEqual(JSON.parse(fs.readFileSync(path.join(straight, 'evaluation.json'), 'utf8')));

    // a completed session is not resumed again
    const again = await runCli(['resume', killed]);
    expect(again.code, explain(again, 'resume of a completed run')).toBe(1);
    expect(again.stderr).toMatch(/already completed/);
  }, 300_000);

  it('SIGTERM stops a fit with 143 after a checkpoint; the session says interrupted; resume finishes it', async () => {
    const runDir = path.join(work, 'sigterm');
    const r = await runCli(['fit', '--config', config, '--run-dir', runDir, '--no-export'], {
      onStart: (child) => {
        const poll = setInterval(() => {
          if (listCheckpoints(path.join(runDir, 'checkpoints')).some((c) => c.valid)) {
            clearInterval(poll);
            child.kill('SIGTERM');
          }
        }, 20);
        child.on('close', () => clearInterval(poll));
      },
    });
    expect(r.code, explain(r, 'fit stopped by SIGTERM')).toBe(143);
    expect(r.stdout).toMatch(/torchtrain resume/);
    const session = SessionManager.open(runDir);
    expect(session.status).toBe('interrupted');
    expect(session.attempts[0]!.exitCode).toBe(143);
    ok(await runCli(['resume', runDir]), 'resume after SIGTERM');
    const b = finalWeights(runDir);
    expect(b.step).toBe(MAX_STEPS);
    expect(SessionManager.open(runDir).status).toBe('completed');
    expect(SessionManager.open(runDir).attempts.map((x) => x.status)).toEqual(['interrupted', 'completed']);
    // the same weights as the run left alone (the test above)
    const a = finalWeights(path.join(work, 'straight'));
    for (const [name, values] of Object.entries(a.tensors)) expect(b.tensors[name], name).toEqual(values);
  }, 300_000);
});
