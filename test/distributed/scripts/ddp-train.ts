// One run of the data-parallel equality tests (test/distributed/ddp-*.test.ts): a Trainer on a
// small regression or causal-LM problem, either as a rank of a data-parallel job (WORLD_SIZE set:
// the Trainer shards the DataLoader itself) or as a single-process reference that sees the same
// data: 'big' (one batch of world x batch per micro-batch, the same shuffled order) or 'accum'
// (the ranks' micro-batches one after another in a window of world x accumulation). Writes the
// final weights (and what the test checks) to <out>/result-<rank>.json.
//   tsx ddp-train.ts '<json options>'
import fs from 'node:fs';
import path from 'node:path';
import { data, distributed, engine, loggers, nn, torch, Trainer, type Tensor } from '../../../lib/index.js';

interface Options {
  task: 'regression' | 'lm';
  mode: 'ddp' | 'big' | 'accum';
  world: number;
  batch: number;
  accumulation: number;
  steps: number;
  dtype: 'float32' | 'float64';
  out: string;
  samples?: number;
  shuffle?: boolean;
  dropout?: boolean;
  checkpoint?: { dir: string; everyNSteps?: number; writeInBackground?: boolean };
  resumeFrom?: string;
  /** A hook on the last rank asks to stop after this step (the others must stop with it). */
  stopAtStep?: number;
  /** Rank 1 builds a different model (the agreement check must refuse it). */
  mismatch?: boolean;
  log?: boolean;
  /** Train on an array of batches (which the Trainer cannot shard) instead of a DataLoader. */
  arraySource?: boolean;
  /** config.distributed { overlap }: the all-reduce during backward (true) or after it (false); unset: 'auto'. */
  overlap?: boolean;
  /** A spare Linear beside the regression model: never used, or used on rank 0 only (an unused parameter on the others). */
  spare?: 'unused' | 'rank0';
}

const o = JSON.parse(process.argv[2]!) as Options;
const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
const inJob = Number(process.env.WORLD_SIZE ?? 1) > 1;
if (inJob) distributed.initProcessGroup({ timeout: 60_000 });
const rank = inJob ? distributed.getRank() : 0;
const world = inJob ? distributed.getWorldSize() : 1;
const N = o.samples ?? 64;
const SEED = 7;
const V = 11;

// The same data and the same initial weights in every process.
torch.manualSeed(123);
function regressionData() {
  const x = torch.randn([N, 4], { dtype: o.dtype });
  const y = x.matmul(torch.randn([4, 1], { dtype: o.dtype })).add(0.5);
  return new data.TensorDataset({ x, y });
}
function lmData() {
  const rng = new data.SeededRandom(99);
  // Lengths 2..16: the ranks' micro-batches hold very different token counts.
  return new data.InMemoryDataset(Array.from({ length: N }, () => ({
    input_ids: Array.from({ length: 2 + rng.nextInt(15) }, () => 1 + rng.nextInt(V - 1)),
  })));
}
const dataset = (o.task === 'regression' ? regressionData() : lmData()) as data.Dataset<Record<string, unknown>>;
const task = o.task === 'regression'
  ? { type: 'regression' as const, fields: { inputs: 'x', labels: 'y' } }
  : { type: 'causal_lm' as const, vocabSize: V, padTokenId: 0 };
torch.manualSeed(321);
const hidden = o.mismatch && rank === 1 ? 9 : 8;
const model = o.task === 'regression'
  ? new nn.Sequential(new nn.Linear(4, hidden), new nn.Tanh(), ...(o.dropout ? [new nn.Dropout(0.3)] : []), new nn.Linear(hidden, 1))
  : new nn.Sequential(new nn.Embedding(V, hidden), new nn.Tanh(), new nn.Linear(hidden, V));

/** The regression model plus a spare layer that gets no gradient (on some or all ranks). */
class WithSpare extends nn.Module {
  readonly body: nn.Module;
  readonly spare: nn.Linear;
  constructor(body: nn.Module) {
    super();
    this.body = this.registerModule('body', body);
    this.spare = this.registerModule('spare', new nn.Linear(4, 1));
  }
  forward(x: Tensor): Tensor {
    const y = this.body.forward(x) as Tensor;
    return o.spare === 'rank0' && rank === 0 ? y.add(this.spare.forward(x).mul(0.1)) : y;
  }
}
const trained = o.spare ? new WithSpare(model) : model;
trained.to(o.dtype);

/** The reference 'accum' order: each window holds rank 0's micro-batches, then rank 1's, ... */
class RanksInTurnSampler implements data.Sampler {
  readonly length = N;
  indices(epoch: number): number[] {
    const all = new data.DistributedSampler(N, { rank: 0, worldSize: 1, shuffle: o.shuffle ?? true, seed: SEED }).indices(epoch);
    const shard = (r: number) => all.filter((_, i) => i % o.world === r);
    const out: number[] = [];
    const perRank = N / o.world / o.batch;
    for (let w = 0; w < perRank / o.accumulation; w++) {
      for (let r = 0; r < o.world; r++) {
        for (let m = 0; m < o.accumulation; m++) out.push(...shard(r).slice(((w * o.accumulation) + m) * o.batch, ((w * o.accumulation) + m + 1) * o.batch));
      }
    }
    return out;
  }
}

const collateOptions = o.task === 'lm' ? { task: { type: 'causal_lm' as const, vocabSize: V, padTokenId: 0 } } : undefined;
const loader = o.mode === 'accum'
  ? new data.DataLoader(dataset, { batchSize: o.batch, sampler: new RanksInTurnSampler(), collateOptions })
  : new data.DataLoader(dataset, { batchSize: o.mode === 'big' ? o.batch * o.world : o.batch, shuffle: o.shuffle ?? true, seed: SEED, collateOptions });

const batches = o.arraySource && o.task === 'regression'
  ? Array.from({ length: 4 }, (_, i) => ({ x: torch.full([o.batch, 4], i + rank, { dtype: o.dtype }), y: torch.full([o.batch, 1], rank, { dtype: o.dtype }) }))
  : null;
const seen: { step: number; rank: number }[] = [];
const callbacks: engine.TrainingHooks[] = [
  new (class extends engine.DefaultHooks {
    override onTrainBatchEnd(t: engine.TrainerView, info: engine.StepInfo) {
      if (info.optimizerStep) seen.push({ step: t.step, rank });
      if (o.stopAtStep !== undefined && rank === world - 1 && t.step === o.stopAtStep) t.requestStop(`stopAtStep ${o.stopAtStep}`);
    }
  })(),
];
if (o.log) callbacks.push(new loggers.JsonlLogger({ path: path.join(o.out, `log-${rank}.jsonl`) }));

const trainer = new Trainer({
  model: trained, task, train: batches ?? loader, callbacks,
  config: {
    maxSteps: o.steps, gradientAccumulationSteps: o.mode === 'accum' ? o.accumulation * o.world : o.accumulation,
    device: 'cpu', seed: 5, logEveryNSteps: 1, evalAtEpochEnd: false, profileData: false,
    optimizer: { name: 'adamw', lr: 0.01, weightDecay: 0.01 }, schedule: { name: 'warmup_cosine', warmupSteps: 2 },
    ...(o.overlap === undefined ? {} : { distributed: { overlap: o.overlap } }),
  },
  ...(o.checkpoint ? { checkpoint: o.checkpoint } : {}),
});
// Dropout's random numbers differ by rank, so a resume must restore each rank's own generator.
torch.manualSeed(1000 + rank);
try {
  await trainer.fit(o.resumeFrom ? { resumeFrom: o.resumeFrom } : {});
} catch (err) {
  fs.writeFileSync(path.join(o.out, `error-${rank}.txt`), String((err as Error).message));
  throw err;
}
const weights: Record<string, number[]> = {};
for (const [name, t] of Object.entries(trained.stateDict()) as [string, Tensor][]) weights[name] = [...(t.to('float64').data() as Float64Array)];
fs.writeFileSync(path.join(o.out, `result-${rank}.json`), JSON.stringify({
  rank, world, step: trainer.step, warnings, weights, logs: trainer.logs, reason: trainer.state, shardBatches: loader.length, trainBatches: trainer.core.train.length,
  sampler: (trainer.core.train as { sampler?: { constructor: { name: string } } }).sampler?.constructor.name, ddp: trainer.core.ddp !== null,
  overlapStats: trainer.core.ddp?.overlapStats,
}));
if (inJob) distributed.destroyProcessGroup();
