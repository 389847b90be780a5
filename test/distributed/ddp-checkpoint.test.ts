// Data-parallel training's files and resume (issue 15, point 2): only rank 0 logs and writes
// checkpoints (one folder per checkpoint, with every rank's random generators); a stop asked on
// one rank stops all at the same step; a 2-rank run resumed from its checkpoint ends with exactly
// the weights of an uninterrupted 2-rank run; another world size resumes weights and optimizer,
// saying the data order changes; ranks that built different models are refused at the start.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parityRequired, referencePython } from '../helpers/python.js';
import { describeFailures, runJob, script, tsxCommand } from './launch.js';
import { maxDifference, train } from './scripts/ddp-run.js';

const root = fs.mkdtempSync(path.join(tmpdir(), 'tt-ddp-ckpt-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const base = { task: 'regression', mode: 'ddp', dtype: 'float32', world: 2, batch: 4, accumulation: 1, dropout: true };

describe('data-parallel Trainer: rank 0 writes', () => {
  it('one log and one set of checkpoints, holding every rank\'s generators', async () => {
    const out = path.join(root, 'files');
    const dir = path.join(out, 'ckpt');
    const ranks = await train(root, 2, { ...base, steps: 6, out, log: true, checkpoint: { dir, everyNSteps: 3 } });
    expect(ranks.map((r) => r.step)).toEqual([6, 6]);
    expect(fs.existsSync(path.join(out, 'log-0.jsonl'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'log-1.jsonl'))).toBe(false);
    const rows = fs.readFileSync(path.join(out, 'log-0.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; 'train/loss'?: number });
    expect(rows.filter((r) => r['train/loss'] !== undefined).map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('checkpoint-')).sort()).toEqual(['checkpoint-3', 'checkpoint-6']);
    for (const step of [3, 6]) {
      const folder = path.join(dir, `checkpoint-${step}`);
      const names = fs.readdirSync(folder);
      expect(names).toContain('rng_state.pt');
      expect(names).toContain('rng_state_1.pt');
      expect(names).not.toContain('rng_state_0.pt');
      // Listed in the manifest (sizes and SHA-256), so a resume verifies it like every other file.
      expect(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8')).toContain('rng_state_1.pt');
      expect(JSON.parse(fs.readFileSync(path.join(folder, 'trainer_state.json'), 'utf8')).worldSize).toBe(2);
      // Ranks seeded apart: their generators differ, and each is saved.
      expect(fs.readFileSync(path.join(folder, 'rng_state_1.pt')).equals(fs.readFileSync(path.join(folder, 'rng_state.pt')))).toBe(false);
    }
    const python = referencePython();
    if (!python) {
      if (parityRequired) throw new Error('the reference Python (torch) is needed to read rng_state_1.pt back');
      console.warn('\nDDP CHECKPOINT: rng_state_1.pt NOT READ BY torch.load: no reference Python\n');
    } else {
      // torch.load reads rank 1's generator file as it reads rng_state.pt.
      const check = spawnSync(python, ['-c', `import torch,sys; s=torch.load(sys.argv[1], weights_only=True); print(sorted(s), s['cpu'].dtype, s['cpu'].numel())`, path.join(dir, 'checkpoint-6', 'rng_state_1.pt')], { encoding: 'utf8' });
      expect(check.stderr).toBe('');
      expect(check.stdout.trim()).toBe("['cpu'] torch.uint8 5056");
    }
  }, 300_000);
});

describe('data-parallel Trainer: resume', () => {
  it('a stop on one rank stops both; resumed, the run ends as an uninterrupted one', async () => {
    const steps = 12; // 8 steps per epoch: the resume continues epoch 1 mid-way, then epoch 2
    const whole = await train(root, 2, { ...base, steps, checkpoint: { dir: path.join(root, 'whole-ckpt'), everyNSteps: 4 } });
    const dir = path.join(root, 'resumed-ckpt');
    const stopped = await train(root, 2, { ...base, steps, stopAtStep: 5, checkpoint: { dir, everyNSteps: 4 } });
    expect(stopped.map((r) => r.step)).toEqual([5, 5]); // rank 1 asked; rank 0 stopped with it
    expect(fs.existsSync(path.join(dir, 'checkpoint-5', 'manifest.json'))).toBe(true);
    const resumed = await train(root, 2, { ...base, steps, resumeFrom: 'latest', checkpoint: { dir, everyNSteps: 4 } });
    expect(resumed.map((r) => r.step)).toEqual([steps, steps]);
    expect(maxDifference(resumed[0], whole[0])).toBe(0);
    expect(maxDifference(resumed[1], whole[1])).toBe(0);
    expect(resumed.flatMap((r) => r.warnings)).toEqual([]);
  }, 300_000);

  it('on another world size: weights and optimizer, with a warning that the data order changes', async () => {
    const dir = path.join(root, 'resize-ckpt');
    await train(root, 2, { ...base, steps: 4, checkpoint: { dir, everyNSteps: 4 } });
    const [single] = await train(root, 1, { ...base, mode: 'big', steps: 6, resumeFrom: path.join(dir, 'checkpoint-4') });
    expect(single.step).toBe(6);
    expect(single.warnings.join('\n')).toMatch(/saved by 2 data-parallel rank\(s\), on 1: the weights, optimizer and position are restored/);
  }, 300_000);
});

describe('data-parallel Trainer: checks at the start', () => {
  it('says (on rank 0) that a source other than a DataLoader is not sharded, and still keeps the ranks equal', async () => {
    const ranks = await train(root, 2, { ...base, dropout: false, steps: 3, arraySource: true });
    expect(ranks[0].warnings.join('\n')).toMatch(/the training data is not a DataLoader, so the Trainer cannot shard it/);
    expect(ranks[1].warnings).toEqual([]);
    expect(maxDifference(ranks[0], ranks[1])).toBe(0); // different batches per rank, one summed update
  }, 300_000);

  it('refuses ranks whose models differ, naming the first difference and the ranks', async () => {
    const out = path.join(root, 'mismatch');
    fs.mkdirSync(out, { recursive: true });
    const results = await runJob({ worldSize: 2, timeoutMs: 120_000, command: () => tsxCommand(script('ddp-train.ts'), JSON.stringify({ ...base, steps: 2, out, mismatch: true })) });
    expect(results.every((r) => r.code !== 0 && !r.killed), describeFailures(results)).toBe(true);
    for (const rank of [0, 1]) {
      expect(fs.readFileSync(path.join(out, `error-${rank}.txt`), 'utf8')).toBe(
        "distributed training: the ranks' models differ at parameter/buffer #0: rank 0 has parameter '0.weight' [8, 4] float32, " +
        "rank 1 has parameter '0.weight' [9, 4] float32; every rank must build the same model (same config and code) before new Trainer(...)");
    }
  }, 300_000);
});
