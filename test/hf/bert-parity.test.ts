// hf.fromPretrained on the real all-MiniLM-L6-v2 (BERT family): last_hidden_state and
// pooler_output equal transformers' BertModel (max abs diff <= 1e-4, float32) on a padded batch;
// a BertForSequenceClassification whose fresh head Python seeded and saved, and a tiny random
// BertForMaskedLM (tied decoder), give transformers' logits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hf, type Tensor, torch } from '../../lib/index.js';
import { type HfPython, maxAbsDiff, startHfPython, tempDir } from './hf-python.js';
import { type PyTensor } from '../helpers/python.js';

torch.setNumThreads(1);

let env: HfPython | null = null;
beforeAll(async () => {
  env = await startHfPython();
}, 120_000);
afterAll(() => env?.py.close());

const SENTENCES = ['Call me Ishmael.', 'Some years ago, never mind how long precisely, having little or no money in my purse.', 'Whale!'];

/** A right-padded batch of the tokenizer's ids and its attention mask. */
function batch(tokenizer: hf.HfTokenizer, texts: string[]): { ids: Tensor; mask: Tensor } {
  const rows = texts.map((t) => tokenizer.encode(t));
  const width = Math.max(...rows.map((r) => r.length));
  const pad = tokenizer.padTokenId ?? 0;
  const ids = rows.map((r) => [...r, ...Array(width - r.length).fill(pad)]);
  const mask = rows.map((r) => r.map(() => 1).concat(Array(width - r.length).fill(0)));
  return { ids: torch.tensor(ids, { dtype: 'int64' }), mask: torch.tensor(mask, { dtype: 'int64' }) };
}

function close(ours: Tensor, theirs: PyTensor): number {
  expect(ours.shape).toEqual(theirs.shape);
  return maxAbsDiff(ours.data() as Float32Array, theirs.data as Float32Array);
}

describe('hf BERT family against transformers', () => {
  it('MiniLM BertModel: last_hidden_state and pooler_output on a padded batch', async (ctx) => {
    if (!env) return ctx.skip();
    const { model, tokenizer, config, missingKeys } = await hf.fromPretrained<hf.models.BertModel>(env.minilmDir);
    expect(model).toBeInstanceOf(hf.models.BertModel);
    expect(missingKeys).toEqual([]);
    expect(config.hidden_size).toBe(384);
    expect(Object.keys(model.stateDict())).toContain('encoder.layer.0.attention.self.query.weight');
    expect(model.numParameters()).toBe(22_713_216); // transformers' sum(p.numel() for p in m.parameters())
    model.eval();
    const { ids, mask } = batch(tokenizer!, SENTENCES);
    const ours = torch.noGrad(() => model.forward(ids, { attentionMask: mask }));
    const theirs = await env.py.run<{ h: PyTensor; p: PyTensor }>(`
from transformers import BertModel
m = BertModel.from_pretrained(dir).eval()
with torch.no_grad():
    o = m(input_ids=ids, attention_mask=mask)
out = {'h': o.last_hidden_state, 'p': o.pooler_output}`, { dir: env.minilmDir, ids, mask });
    // Padded query positions are not compared: transformers' sdpa path may treat them differently.
    const real = mask.unsqueeze(-1).to({ dtype: 'float32' });
    const theirsH = torch.tensor(theirs.h.data as Float32Array, { shape: theirs.h.shape });
    expect(maxAbsDiff(ours.lastHiddenState.mul(real).data() as Float32Array, theirsH.mul(real).data() as Float32Array)).toBeLessThanOrEqual(1e-4);
    expect(close(ours.poolerOutput!, theirs.p)).toBeLessThanOrEqual(1e-4);
  }, 120_000);

  it('BertForSequenceClassification with a head seeded and saved by Python', async (ctx) => {
    if (!env) return ctx.skip();
    const dir = tempDir('bert-cls');
    await env.py.run(`
from transformers import BertForSequenceClassification
torch.manual_seed(7)
m = BertForSequenceClassification.from_pretrained(src, num_labels=3)
m.save_pretrained(dir, safe_serialization=True)
out = None`, { src: env.minilmDir, dir });
    const { model, missingKeys } = await hf.fromPretrained<hf.models.BertForSequenceClassification>(dir, { tokenizer: false });
    expect(model).toBeInstanceOf(hf.models.BertForSequenceClassification);
    expect(missingKeys).toEqual([]);
    expect(model.numLabels).toBe(3);
    model.eval();
    const tokenizer = hf.HfTokenizer.fromFolder(env.minilmDir);
    const { ids, mask } = batch(tokenizer, SENTENCES);
    const ours = torch.noGrad(() => model.forward(ids, { attentionMask: mask }));
    const theirs = await env.py.run<PyTensor>(`
from transformers import BertForSequenceClassification
m = BertForSequenceClassification.from_pretrained(dir).eval()
with torch.no_grad():
    out = m(input_ids=ids, attention_mask=mask).logits`, { dir, ids, mask });
    expect(close(ours, theirs)).toBeLessThanOrEqual(1e-4);
  }, 120_000);

  it('a fresh classification head on MiniLM: architecture option, missing keys reported', async (ctx) => {
    if (!env) return ctx.skip();
    const { model, missingKeys } = await hf.fromPretrained<hf.models.BertForSequenceClassification>(env.minilmDir, { architecture: 'BertForSequenceClassification', numLabels: 2, warnMissing: false });
    expect(missingKeys.sort()).toEqual(['classifier.bias', 'classifier.weight']);
    expect(model.forward(torch.tensor([[101, 2000, 102]], { dtype: 'int64' })).shape).toEqual([1, 2]);
    expect(Object.keys(model.stateDict())).toContain('bert.encoder.layer.0.attention.self.query.weight');
  }, 60_000);

  it('tiny random BertForMaskedLM: tied decoder, logits equal', async (ctx) => {
    if (!env) return ctx.skip();
    const dir = tempDir('bert-mlm');
    await env.py.run(`
from transformers import BertConfig, BertForMaskedLM
torch.manual_seed(3)
c = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, max_position_embeddings=16)
m = BertForMaskedLM(c)
with torch.no_grad():
    m.cls.predictions.bias.normal_()
m.save_pretrained(dir, safe_serialization=True)
out = None`, { dir });
    const { model, missingKeys } = await hf.fromPretrained<hf.models.BertForMaskedLM>(dir);
    expect(missingKeys).toEqual([]);
    model.eval();
    const ids = torch.tensor([[2, 7, 9, 11, 3], [2, 5, 49, 3, 0]], { dtype: 'int64' });
    const types = torch.tensor([[0, 0, 1, 1, 1], [0, 0, 0, 1, 1]], { dtype: 'int64' });
    const ours = torch.noGrad(() => model.forward(ids, { tokenTypeIds: types }));
    const theirs = await env.py.run<PyTensor>(`
from transformers import BertForMaskedLM
m = BertForMaskedLM.from_pretrained(dir).eval()
with torch.no_grad():
    out = m(input_ids=ids, token_type_ids=types).logits`, { dir, ids, types });
    expect(close(ours, theirs)).toBeLessThanOrEqual(1e-4);
    // The decoder is the word embedding: one Parameter, listed once.
    expect(model.cls.predictions.decoder.weight).toBe(model.bert.embeddings.wordEmbeddings.weight);
    expect(model.parameters().filter((p) => p === model.bert.embeddings.wordEmbeddings.weight)).toHaveLength(1);
  }, 120_000);
});
