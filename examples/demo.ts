// `npm run demo`: a character-level GPT learns to write like Moby-Dick, on the CPU, in about
// three minutes, driven by the Trainer with a progress bar. It prints the held-out loss and
// perplexity, a generated sample, and saves the weights as safetensors.
//
//   npm run demo                          # 4,000 steps, ~3 minutes on two cores
//   npm run demo -- --steps 500           # a shorter run (or DEMO_STEPS=500 npm run demo)
//   npm run demo -- --out ./gpt.safetensors
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TaskSpecs, Trainer, data, engine, io, models, torch } from '../lib/index.js';
import { mobyDick } from './datasets.js';

const { values: args } = parseArgs({ options: { steps: { type: 'string' }, out: { type: 'string' } } });
const steps = Number(args.steps ?? process.env.DEMO_STEPS ?? 4000);
if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps must be a positive integer, got ${args.steps ?? process.env.DEMO_STEPS}`);
const out = path.resolve(args.out ?? process.env.DEMO_OUT ?? path.join(tmpdir(), 'torchtrain-demo', 'gpt-moby-dick.safetensors'));

// On a terminal, clear the progress bar's line first; piped output gets plain lines.
const log = (line: string) => process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${line}\n`);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

// The data: the book as characters; the last 10% held out for validation.
const text = mobyDick();
const tokenizer = data.CharTokenizer.fromText(text);
const ids = Int32Array.from(tokenizer.encode(text));
const cut = Math.floor(ids.length * 0.9);
const blockSize = 64, batchSize = 32;
// nanoGPT's (x, y) pairs: labels are the inputs moved one character on, and the causal_lm loss
// does not shift again (shift: false), so all blockSize positions are trained (shifting leaves a
// block's last position without a target, which generate() uses once the text is longer than a
// block).
const trainCorpus = new data.TextCorpus({ tokens: ids.subarray(0, cut), vocabSize: tokenizer.vocabSize }, { blockSize, stride: 1, labels: 'next-token' });
const valCorpus = new data.TextCorpus({ tokens: ids.subarray(cut), vocabSize: tokenizer.vocabSize }, { blockSize, labels: 'next-token' });
const task = TaskSpecs.causalLm({ vocabSize: tokenizer.vocabSize, loss: { name: 'causal_lm', options: { shift: false } } });
// Every offset is a window; the run draws steps x batchSize of them at random (one "epoch").
const train = new data.DataLoader(trainCorpus, { batchSize, sampler: new data.RandomSampler(trainCorpus, { numSamples: steps * batchSize, seed: 0 }), collateOptions: { task } });
const val = new data.DataLoader(valCorpus, { batchSize: 256, collateOptions: { task } });
log(`Moby-Dick: ${ids.length.toLocaleString()} characters, ${tokenizer.vocabSize} distinct; training on ${cut.toLocaleString()}, validating on the last ${(ids.length - cut).toLocaleString()}`);

torch.manualSeed(0);
const model = new models.GPT({ vocabSize: tokenizer.vocabSize, blockSize, nLayer: 3, nHead: 4, nEmbd: 96 });
log(`GPT: ${model.config.nLayer} layers, ${model.config.nEmbd} wide, ${model.config.nHead} heads, context ${blockSize}: ${model.numParameters().toLocaleString()} parameters; ${torch.getNumThreads()} threads`);

/** Prints the held-out loss whenever the Trainer validates (before, every 1,000 steps, at the end). */
class ValidationLog extends engine.DefaultHooks {
  latest: Record<string, number> = {};
  private loggedStep = -1;
  override onValidationEnd(t: { step: number }, m: Record<string, number>): void {
    this.latest = m;
    if (t.step === this.loggedStep) return; // the epoch-end check right after the last step's
    this.loggedStep = t.step;
    log(`step ${t.step}/${steps} (${elapsed()}): held-out loss ${m.loss!.toFixed(3)} nats/char, perplexity ${m.perplexity!.toFixed(2)}`);
  }
}

const validation = new ValidationLog();
const trainer = new Trainer({
  model, task, train, val,
  callbacks: [new engine.ProgressBar({ logEvery: 100, label: 'training' }), validation],
  config: {
    maxEpochs: 1, evalEveryNSteps: 1000,
    optimizer: { lr: 3e-3, betas: [0.9, 0.99] }, schedule: { name: 'warmup_cosine', warmupSteps: Math.min(100, Math.ceil(steps / 10)) },
  },
});
const initial = await trainer.validate();
const result = await trainer.fit();
const final = validation.latest;
log('');
log(`trained ${result.steps} steps in ${elapsed()} (${result.epochs[0]!.throughput.toFixed(0)} tokens/s)`);
log(`held-out loss: ${initial.loss!.toFixed(3)} -> ${final.loss!.toFixed(3)} nats/char (${(final.loss! / Math.LN2).toFixed(3)} bits/char)`);
log(`held-out perplexity: ${initial.perplexity!.toFixed(2)} -> ${final.perplexity!.toFixed(2)} (a uniform guess: ${tokenizer.vocabSize}; the book's single-character entropy: 22.2)`);

// A sample: the model continues a prompt, one character at a time.
model.eval();
torch.manualSeed(1);
const prompt = 'Call me Ishmael. ';
const generated = torch.scope(() => {
  const idx = torch.tensor([tokenizer.encode(prompt)], { dtype: 'int64' });
  return Array.from(model.generate(idx, 500, { temperature: 0.8, topK: 20 }).data() as BigInt64Array, Number);
});
console.log(`\n--- sample (temperature 0.8, top-k 20) ---\n${tokenizer.decode(generated)}\n---\n`);

// The weights as safetensors (the tied embedding under both of its names, as PyTorch's state dict
// has it), the vocabulary and config in the metadata.
mkdirSync(path.dirname(out), { recursive: true });
io.saveSafetensors(out, model.stateDict(), { format: 'pt', config: JSON.stringify(model.config), chars: JSON.stringify(tokenizer.chars) });
writeFileSync(out.replace(/\.safetensors$/, '') + '.tokenizer.json', JSON.stringify(tokenizer.toJSON()));
log(`weights saved to ${out} (${elapsed()} in all)`);
