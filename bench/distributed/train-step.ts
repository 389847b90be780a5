// One rank of `npm run bench:ddp`'s training loop: a char GPT-mini (4 layers, 128 wide, 0.8M
// parameters) on random tokens, one thread per rank, the manual data-parallel step
//   zeroGrad → forward → loss → backward → distributed.allReduceGradients → AdamW step
// (without a process group when WORLD_SIZE is 1: the single-process baseline has nothing to
// reduce). BENCH_DDP_OVERLAP=1: the all-reduce overlapped with backward instead (the Trainer's
// default: OverlappedGradientReducer, armed before backward, finalized after it; its time is then
// only what is left to wait for after backward). Rank 0 prints { stepsPerSecond, msPerStep, allReduceMsPerStep, ... } as JSON. Every rank's batch has the same
// size, so k ranks train on k times the tokens per step (weak scaling, as DDP).
import { OverlappedGradientReducer } from '../../lib/distributed/overlapped-reducer.js';
import { distributed, models, nn, optim, torch } from '../../lib/index.js';

const steps = Number(process.env.BENCH_STEPS ?? 20), warmup = 3;
const config = { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 };
const batch = 16;

torch.setNumThreads(1);
const world = Number(process.env.WORLD_SIZE ?? 1);
if (world > 1) distributed.initProcessGroup({ timeout: 300_000 });
const rank = world > 1 ? distributed.getRank() : 0;

torch.manualSeed(0); // the same initial weights on every rank (DDP would broadcast rank 0's)
const model = new models.GPT(config);
const params = model.parameters();
const opt = new optim.AdamW(params, { lr: 3e-4 });
const reducer = world > 1 && process.env.BENCH_DDP_OVERLAP === '1' ? OverlappedGradientReducer.attach(params) : null;
torch.manualSeed(1000 + rank); // each rank its own data shard
const data = Array.from({ length: 8 }, () => torch.keep(torch.randint(config.vocabSize, [batch, config.blockSize + 1])));

let started = 0n, reduceNs = 0n;
for (let i = 0; i < warmup + steps; i++) {
  if (i === warmup) {
    if (world > 1) distributed.barrier();
    started = process.hrtime.bigint();
  }
  torch.scope(() => {
    const tokens = data[i % data.length];
    opt.zeroGrad();
    const logits = model.forward(tokens.narrow(1, 0, config.blockSize));
    const loss = nn.functional.crossEntropy(logits.flatten(0, 1), tokens.narrow(1, 1, config.blockSize).flatten());
    reducer?.arm();
    loss.backward();
    if (world > 1) {
      // Time in the gradient all-reduce: the transfer plus waiting for the slower rank.
      const t0 = process.hrtime.bigint();
      if (reducer) {
        reducer.finalize();
        for (const p of params) p.grad?.div_(world);
      } else {
        distributed.allReduceGradients(params);
      }
      if (i >= warmup) reduceNs += process.hrtime.bigint() - t0;
    }
    opt.step();
  });
}
if (world > 1) distributed.barrier();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
if (rank === 0) {
  const parameters = params.reduce((n, p) => n + p.numel(), 0);
  console.log(JSON.stringify({ stepsPerSecond: steps / seconds, msPerStep: (seconds * 1e3) / steps, allReduceMsPerStep: Number(reduceNs) / 1e6 / steps, tokensPerStep: world * batch * config.blockSize, parameters }));
}
if (world > 1) distributed.destroyProcessGroup();
