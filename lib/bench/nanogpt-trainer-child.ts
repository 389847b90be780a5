// The torchtrain side of the nanoGPT workload, in a fresh process as train.py is: the Trainer
// training the zoo's GPT on nanoGPT's CPU config (bench/nanogpt/config/train_moby_dick_char_cpu.py:
// block 64, 4 layers x 128, 4 heads, no biases, batch 12, AdamW lr 1e-3 betas (0.9, 0.99) weight
// decay 0.1, warm-up 100 then cosine to 1e-4, grad clip 1.0) on Moby-Dick characters, random
// windows as train.py samples them. Prints the milliseconds of every optimizer step as JSON.
//   node nanogpt-trainer-child.js '{"text": "<moby-dick data.txt>", "iters": 40, "threads": 2}'
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { torch } from '../core/torch.js';
import { CharTokenizer, DataLoader, TextCorpus } from '../data/index.js';
import { DefaultHooks } from '../engine/hooks.js';
import { Trainer } from '../engine/trainer.js';
import { GPT } from '../models/index.js';
import { TaskSpecs } from '../task/index.js';

const args = z.object({ text: z.string(), iters: z.number().int().positive(), threads: z.number().int().positive() }).parse(JSON.parse(process.argv[2] ?? '{}'));
torch.setNumThreads(args.threads);

const text = readFileSync(args.text, 'utf8');
const tokenizer = CharTokenizer.fromText(text);
const ids = Int32Array.from(tokenizer.encode(text));
const train = ids.subarray(0, Math.floor(ids.length * 0.9));
const blockSize = 64;
const corpus = new TextCorpus({ tokens: train, vocabSize: tokenizer.vocabSize }, { blockSize, stride: 1, labels: 'next-token' });
const task = TaskSpecs.causalLm({ vocabSize: tokenizer.vocabSize, loss: { name: 'causal_lm', options: { shift: false } } });

class StepTimes extends DefaultHooks {
  readonly times: number[] = [];
  private last = process.hrtime.bigint();
  override onTrainBatchEnd(): void {
    const now = process.hrtime.bigint();
    this.times.push(Number(now - this.last) / 1e6);
    this.last = now;
  }
}

torch.manualSeed(1337);
const model = new GPT({ vocabSize: tokenizer.vocabSize, blockSize, nLayer: 4, nHead: 4, nEmbd: 128, bias: false, dropout: 0 });
const timer = new StepTimes();
const trainer = new Trainer({
  model, task,
  train: new DataLoader(corpus, { batchSize: 12, shuffle: true, dropLast: true, collateOptions: { task } }),
  callbacks: [timer],
  config: {
    maxSteps: args.iters, device: 'cpu', evalAtEpochEnd: false, maxGradNorm: 1.0, logEveryNSteps: 10, seed: 1337,
    optimizer: { lr: 1e-3, betas: [0.9, 0.99], weightDecay: 0.1 },
    // train.py warms up over 100 of 2000 iterations; a benchmark's few iterations all fall in the warm-up.
    schedule: { name: 'warmup_cosine', warmupSteps: Math.min(100, args.iters), minLrRatio: 0.1 },
  },
});
await trainer.fit();
process.stdout.write(`${JSON.stringify({ times: timer.times })}\n`);
process.exit(0);
