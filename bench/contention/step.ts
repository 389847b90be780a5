// One side of bench:contention: times a GPT-mini training step (nanoGPT's CPU config) in this
// process and prints {"ms": [...]} (per-step milliseconds). The thread count and OpenMP settings
// come from the parent through the environment, as a user's would.
import { models, nn, optim, torch } from '../../lib/index.js';

const { threads, steps, warmup } = JSON.parse(process.argv[2]) as { threads: number | null; steps: number; warmup: number };
if (threads !== null) torch.setNumThreads(threads);
torch.manualSeed(0);
const model = new models.GPT({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 });
const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
const [x, y] = torch.keep([torch.randint(0, 65, [12, 64]), torch.randint(0, 65, [12, 64])]);
const ms: number[] = [];
for (let i = 0; i < warmup + steps; i++) {
  const t = process.hrtime.bigint();
  torch.scope(() => {
    opt.zeroGrad();
    nn.functional.crossEntropy(model.forward(x).flatten(0, 1), y.flatten()).backward();
    opt.step();
  });
  if (i >= warmup) ms.push(Number(process.hrtime.bigint() - t) / 1e6);
}
console.log(JSON.stringify({ ms, threads: torch.getNumThreads() }));
