// Causal language modelling: a small character-level GPT (models.GPT) learns Moby-Dick, validated
// on the book's last 10%, then continues a prompt. About a minute on two cores; `npm run demo`
// is the longer version (a bigger model, a progress bar, saved weights).
//   npx tsx examples/causal-lm.ts
import { TaskSpecs, Trainer, data, engine, models, torch } from '../lib/index.js';
import { mobyDick } from './datasets.js';

const text = mobyDick();
const tokenizer = data.CharTokenizer.fromText(text);
const ids = Int32Array.from(tokenizer.encode(text));
const cut = Math.floor(ids.length * 0.9);
const blockSize = 32;
// stride 1: every offset is a training window (nanoGPT's random sampling, made epoch-based).
// labels 'next-token': nanoGPT's (x, y), y = x moved one character on, with the causal_lm loss
// told not to shift again (shift: false), so all blockSize positions learn. (By default the loss
// shifts plain blocks itself, which leaves a block's last position untrained; generate() slides a
// full window once the text is longer than a block, and would predict from that position.)
const trainCorpus = new data.TextCorpus({ tokens: ids.subarray(0, cut), vocabSize: tokenizer.vocabSize }, { blockSize, stride: 1, labels: 'next-token' });
const valCorpus = new data.TextCorpus({ tokens: ids.subarray(cut), vocabSize: tokenizer.vocabSize }, { blockSize, labels: 'next-token' });
const task = TaskSpecs.causalLm({ vocabSize: tokenizer.vocabSize, loss: { name: 'causal_lm', options: { shift: false } } });

torch.manualSeed(0);
const model = new models.GPT({ vocabSize: tokenizer.vocabSize, blockSize, nLayer: 2, nHead: 4, nEmbd: 64 });
console.log(`GPT (${model.numParameters().toLocaleString()} parameters) on ${cut.toLocaleString()} characters of Moby-Dick`);
const trainer = new Trainer({
  model, task,
  train: new data.DataLoader(trainCorpus, { batchSize: 64, shuffle: true, dropLast: true, collateOptions: { task } }),
  val: new data.DataLoader(valCorpus, { batchSize: 256, collateOptions: { task } }),
  callbacks: [new engine.ProgressBar({ logEvery: 250 })],
  config: { maxSteps: 1500, optimizer: { lr: 6e-3, betas: [0.9, 0.99] }, schedule: { name: 'warmup_cosine', warmupSteps: 20 } },
});
const result = await trainer.fit();
const final = result.epochs[0]!.validation!;
console.log(`\nheld-out loss after ${result.steps} steps: ${final.loss!.toFixed(3)} nats/char, perplexity ${final.perplexity!.toFixed(2)} (the book's unigram entropy: 3.10 nats)`);

model.eval();
const prompt = torch.tensor([tokenizer.encode('Call me Ishmael. ')], { dtype: 'int64' });
const sample = model.generate(prompt, 200, { temperature: 0.8, topK: 10 });
console.log(`sample: ${JSON.stringify(tokenizer.decode(Array.from(sample.data() as BigInt64Array, Number)))}`);
