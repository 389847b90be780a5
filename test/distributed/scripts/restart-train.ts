// One rank of the restart fault test (test/distributed/restart.test.ts), run by the real torchrun:
// a 2-rank data-parallel Trainer (float64, CPU) that checkpoints every N steps and always starts
// with fit({ resumeFrom: 'latest' }), so a worker group restarted by torchrun goes on from the
// newest valid checkpoint. With killAtStep set, rank 1 SIGKILLs itself after that step, on the
// first attempt only (TORCHELASTIC_RESTART_COUNT '0'): no handler, no cleanup, as an OOM kill.
// Each attempt of each rank writes <out>/attempt-<restart>-rank-<rank>.json (the step it resumed
// at, the step it ended at or its error); every rank that finishes writes final-<rank>.safetensors.
// With killInWrite set, rank 0 SIGKILLs itself in the middle of writing checkpoint-<step> (first
// attempt only): the checkpoint is written on the main thread (writeInBackground false), and a
// wrapper around fs.openSync, this process's own fault injection, kills it as the writer opens
// `file` in the checkpoint's temporary folder, after the files before it were written.
//   torchrun ... --no-python node --import tsx restart-train.ts '<json options>'
import fs from 'node:fs';
import path from 'node:path';
import { data, distributed, engine, io, nn, torch, Trainer, type Tensor } from '../../../lib/index.js';

interface Options {
  out: string;
  checkpointDir: string;
  steps: number;
  everyNSteps: number;
  /** The process group's timeout (ms): a dead peer must fail the survivors within it. */
  timeoutMs: number;
  killAtStep?: number;
  /** Rank 0 dies while writing checkpoint-<step>, as the writer opens `file` (e.g. optimizer.pt, after model.safetensors). */
  killInWrite?: { step: number; file: string };
}

const o = JSON.parse(process.argv[2]!) as Options;
const attempt = process.env.TORCHELASTIC_RESTART_COUNT ?? '0';
distributed.initProcessGroup({ backend: 'gloo', timeout: o.timeoutMs });
const rank = distributed.getRank();
const report = (fields: Record<string, unknown>) =>
  fs.writeFileSync(path.join(o.out, `attempt-${attempt}-rank-${rank}.json`), JSON.stringify({ rank, attempt: Number(attempt), ...fields }));

// The same data and initial weights on every rank and in every attempt.
torch.manualSeed(123);
const x = torch.randn([64, 4], { dtype: 'float64' });
const y = x.matmul(torch.randn([4, 1], { dtype: 'float64' })).add(0.5);
const loader = new data.DataLoader(new data.TensorDataset({ x, y }), { batchSize: 4, shuffle: true, seed: 7 });
torch.manualSeed(321);
// Dropout: each rank's random numbers must come back from the checkpoint for an exact resume.
const model = new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Dropout(0.2), new nn.Linear(8, 1));
model.to('float64');

let resumedAt: number | null = null;
if (o.killInWrite && rank === 0 && attempt === '0') {
  const { step, file } = o.killInWrite;
  const open = fs.openSync;
  fs.openSync = ((p: fs.PathLike, ...rest: unknown[]) => {
    const where = String(p);
    if (path.basename(where) === file && path.basename(path.dirname(where)).startsWith(`checkpoint-${step}.torchtrain-tmp-`)) {
      report({ resumedAt, killedInWriteOf: path.basename(path.dirname(where)), written: fs.readdirSync(path.dirname(where)) });
      process.kill(process.pid, 'SIGKILL');
    }
    return (open as (...a: unknown[]) => number)(p, ...rest);
  }) as typeof fs.openSync;
}
const hooks = new (class extends engine.DefaultHooks {
  override onFitStart(t: engine.TrainerView) {
    resumedAt = t.step;
  }
  override onTrainBatchEnd(t: engine.TrainerView, info: engine.StepInfo) {
    if (info.optimizerStep && rank === 1 && attempt === '0' && t.step === o.killAtStep) {
      report({ resumedAt, killedAtStep: t.step });
      process.kill(process.pid, 'SIGKILL');
    }
  }
})();

const trainer = new Trainer({
  model, task: { type: 'regression', fields: { inputs: 'x', labels: 'y' } }, train: loader, callbacks: [hooks],
  config: {
    maxSteps: o.steps, device: 'cpu', seed: 5, logEveryNSteps: 1, evalAtEpochEnd: false, profileData: false,
    optimizer: { name: 'adamw', lr: 0.01, weightDecay: 0.01 }, schedule: { name: 'warmup_cosine', warmupSteps: 2 },
  },
  checkpoint: { dir: o.checkpointDir, everyNSteps: o.everyNSteps, ...(o.killInWrite ? { writeInBackground: false } : {}) },
});
torch.manualSeed(1000 + rank);
try {
  await trainer.fit({ resumeFrom: 'latest' });
} catch (err) {
  // The survivor of a dead peer lands here (within the group's timeout, not a hang).
  report({ resumedAt, step: trainer.step, error: (err as Error).message, name: (err as Error).name });
  // The group is unusable after a lost peer (README, "Timeouts and dead ranks"): exit, and let
  // torchrun restart the worker group.
  process.exit(1);
}
report({ resumedAt, step: trainer.step });
io.saveSafetensors(path.join(o.out, `final-${rank}.safetensors`), model.stateDict() as Record<string, Tensor>);
distributed.destroyProcessGroup();
