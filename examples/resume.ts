// A training run that is killed and resumed: checkpoints every 10 steps, a kill -9 in the middle
// of the run, and `fit({ resumeFrom: 'latest' })` going on from the newest valid checkpoint,
// ending with the same weights, bit for bit, as a run that was never interrupted.
//   npx tsx examples/resume.ts                          the whole story (a few seconds)
//   npx tsx examples/resume.ts --dir D --crash-after N  one training process on D that kills itself
//                                                       (SIGKILL) after step N; run it again without
//                                                       --crash-after to resume and finish
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpoint, data, engine, nn, torch, Trainer } from '../lib/index.js';

const MAX_EPOCHS = 6;
const CRASH_AFTER = 27;

/** Two classes of points in the plane: the XOR of the quadrants, with some noise. */
function dataset(n: number, seed: number) {
  torch.manualSeed(seed);
  const x = torch.keep(torch.rand([n, 2]).mul(2).sub(1));
  const noisy = x.add(torch.randn([n, 2]).mul(0.1));
  const y = torch.keep(noisy.select(1, 0).mul(noisy.select(1, 1)).gt(0).to('int64'));
  return new data.TensorDataset({ x, y });
}
const trainSet = dataset(256, 0);
const valSet = dataset(256, 1);

/** Prints the step and loss now and then, and kills the process after step `crashAfter`. */
class Progress extends engine.DefaultHooks {
  constructor(private readonly crashAfter: number | null) { super(); }
  override onFitStart(t: engine.TrainerView) { console.log(`  [pid ${process.pid}] fit() starts at step ${t.step}`); }
  override onTrainBatchEnd(t: engine.TrainerView) {
    if (this.crashAfter !== null && t.step === this.crashAfter) {
      console.log(`  [pid ${process.pid}] step ${t.step}: kill -9 (only the checkpoints on disk survive)`);
      process.kill(process.pid, 'SIGKILL');
    }
  }
  override onValidationEnd(t: engine.TrainerView, metrics: Record<string, number>) {
    console.log(`  [pid ${process.pid}] step ${t.step}, epoch ${t.epoch} done: val loss ${metrics.loss?.toFixed(4) ?? metrics['val/loss']?.toFixed(4)}, accuracy ${(100 * (metrics.accuracy ?? metrics['val/accuracy'])).toFixed(1)}%`);
  }
}

/** Trains (resuming from dir's newest valid checkpoint when there is one); returns the model. */
async function train(dir: string | null, crashAfter: number | null = null): Promise<nn.Module> {
  torch.manualSeed(1);
  const model = new nn.Sequential(new nn.Linear(2, 32), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(32, 32), new nn.ReLU(), new nn.Linear(32, 2));
  const trainer = new Trainer({
    model,
    task: { type: 'seq_classification', modality: 'tabular', numClasses: 2, fields: { inputs: 'x', labels: 'y' } },
    train: new data.DataLoader(trainSet, { batchSize: 32, shuffle: true, seed: 0 }),
    val: new data.DataLoader(valSet, { batchSize: 128 }),
    callbacks: dir === null ? [] : [new Progress(crashAfter)],
    config: { maxEpochs: MAX_EPOCHS, seed: 0, optimizer: { lr: 2e-2 }, schedule: { name: 'onecycle', warmupRatio: 0.2 } },
    checkpoint: dir === null ? undefined : { dir, everyNSteps: 10, keepLast: 2 },
  });
  await trainer.fit(dir === null ? {} : { resumeFrom: 'latest' });
  return model;
}

process.on('warning', (w) => console.log(`  [pid ${process.pid}] warning: ${w.message}`));
const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

if (option('--dir') !== undefined) {
  // One training process (the child of the story below, or run by hand).
  const crashAfter = option('--crash-after');
  await train(option('--dir')!, crashAfter === undefined ? null : Number(crashAfter));
} else {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchtrain-resume-'));
  console.log(`1. A training process checkpoints to ${dir} every 10 steps (keeping the last 2) and is killed after step ${CRASH_AFTER}:`);
  const child = spawnSync(process.execPath, ['--no-warnings', '--import', 'tsx', fileURLToPath(import.meta.url), '--dir', dir, '--crash-after', String(CRASH_AFTER)], { stdio: 'inherit' });
  console.log(`   it ended by ${child.signal ?? `exit code ${child.status}`}.`);

  console.log('2. What is on disk (checkpoint.list verifies each folder against its manifest):');
  for (const c of checkpoint.list(dir)) console.log(`   ${path.basename(c.path)}: ${c.valid ? 'valid' : `INVALID: ${c.problem}`}`);
  console.log(`   latest -> ${path.basename(checkpoint.readLatest(dir) ?? '(none)')}`);

  console.log("3. A new process (this one) resumes with fit({ resumeFrom: 'latest' }); the steps after the checkpoint are done again, the same way:");
  const resumed = await train(dir);

  console.log('4. The same run without the kill, for comparison:');
  const uninterrupted = await train(null);
  const same = resumed.parameters().every((p, i) => p.equal(uninterrupted.parameters()[i]));
  console.log(`   the resumed run's weights are ${same ? 'identical, bit for bit, to' : 'DIFFERENT from'} the uninterrupted run's.`);
  fs.rmSync(dir, { recursive: true, force: true });
  if (!same) process.exitCode = 1;
}
