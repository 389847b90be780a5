// hf.savePretrained writes folders transformers' from_pretrained loads with equal outputs: the
// real MiniLM with a classification head (and its tokenizer: AutoTokenizer gives the same ids),
// a tied GPT-2 (lm_head written once), and a sharded save (model.safetensors.index.json) that both
// transformers and our fromPretrained read back.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hf, io, torch } from '../../lib/index.js';
import { type PyTensor } from '../helpers/python.js';
import { type HfPython, maxAbsDiff, startHfPython, tempDir } from './hf-python.js';

torch.setNumThreads(1);

let env: HfPython | null = null;
beforeAll(async () => {
  env = await startHfPython();
}, 120_000);
afterAll(() => env?.py.close());

const IDS = [[101, 2655, 2033, 2003, 22444, 2884, 1012, 102], [101, 7994, 999, 102, 0, 0, 0, 0]];
const MASK = [[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0, 0]];

describe('hf.savePretrained -> transformers', () => {
  it('MiniLM + a new classification head (changed by a step): transformers loads it, logits and tokenizer ids equal', async (ctx) => {
    if (!env) return ctx.skip();
    const loaded = await hf.fromPretrained<hf.models.BertForSequenceClassification>(env.minilmDir, { architecture: 'BertForSequenceClassification', id2label: { 0: 'ham', 1: 'spam' }, warnMissing: false });
    const { model, tokenizer } = loaded;
    // Move the weights away from the checkpoint's, so the test sees what we save, not the original.
    torch.noGrad(() => { for (const p of model.parameters()) p.add_(torch.randnLike(p).mul(1e-3)); });
    model.eval();
    const dir = tempDir('save-bert');
    const files = await hf.savePretrained(model, dir, { tokenizer });
    expect(files.sort()).toEqual(['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['BertForSequenceClassification']);
    expect(config.model_type).toBe('bert');
    expect(config.id2label).toEqual({ 0: 'ham', 1: 'spam' });
    const ids = torch.tensor(IDS, { dtype: 'int64' }), mask = torch.tensor(MASK, { dtype: 'int64' });
    const ours = torch.noGrad(() => model.forward(ids, { attentionMask: mask }));
    const theirs = await env.py.run<{ logits: PyTensor; labels: string[]; ids: number[] }>(`
from transformers import AutoModelForSequenceClassification, AutoTokenizer
m = AutoModelForSequenceClassification.from_pretrained(dir).eval()
with torch.no_grad():
    logits = m(input_ids=ids, attention_mask=mask).logits
out = {'logits': logits, 'labels': [m.config.id2label[i] for i in range(2)], 'ids': AutoTokenizer.from_pretrained(dir)('Call me Ishmael, naïve 🐋')['input_ids']}`, { dir, ids, mask });
    expect(maxAbsDiff(ours.data() as Float32Array, theirs.logits.data as Float32Array)).toBeLessThanOrEqual(1e-4);
    expect(theirs.labels).toEqual(['ham', 'spam']);
    expect(theirs.ids).toEqual(tokenizer!.encode('Call me Ishmael, naïve 🐋'));
    // And back: our reader gets the same model.
    const again = await hf.fromPretrained<hf.models.BertForSequenceClassification>(dir);
    again.model.eval();
    expect(again.missingKeys).toEqual([]);
    expect(maxAbsDiff(torch.noGrad(() => again.model.forward(ids, { attentionMask: mask })).data() as Float32Array, ours.data() as Float32Array)).toBe(0);
  }, 180_000);

  it('tied GPT-2: lm_head written once, transformers loads equal logits', async (ctx) => {
    if (!env) return ctx.skip();
    const src = tempDir('gpt2-src');
    await env.py.run(`
from transformers import GPT2Config, GPT2LMHeadModel
torch.manual_seed(5)
GPT2LMHeadModel(GPT2Config(vocab_size=61, n_positions=16, n_embd=32, n_layer=2, n_head=4, bos_token_id=0, eos_token_id=0)).save_pretrained(dir)
out = None`, { dir: src });
    const { model } = await hf.fromPretrained<hf.models.GPT2LMHeadModel>(src);
    torch.noGrad(() => { for (const p of model.parameters()) p.add_(torch.randnLike(p).mul(1e-2)); });
    model.eval();
    const dir = tempDir('gpt2-out');
    await hf.savePretrained(model, dir);
    expect(Object.keys(io.loadSafetensors(path.join(dir, 'model.safetensors')))).not.toContain('lm_head.weight');
    const ids = torch.tensor([[1, 5, 9, 60, 2]], { dtype: 'int64' });
    const ours = torch.noGrad(() => model.forward(ids));
    const theirs = await env.py.run<PyTensor>(`
from transformers import GPT2LMHeadModel
m = GPT2LMHeadModel.from_pretrained(dir).eval()
assert m.lm_head.weight.data_ptr() == m.transformer.wte.weight.data_ptr()
with torch.no_grad():
    out = m(input_ids=ids).logits`, { dir, ids });
    expect(maxAbsDiff(ours.data() as Float32Array, theirs.data as Float32Array)).toBeLessThanOrEqual(1e-4);
  }, 180_000);

  it('sharded: maxShardSize splits the weights; transformers and fromPretrained read the shards back', async (ctx) => {
    if (!env) return ctx.skip();
    const { model, tokenizer } = await hf.fromPretrained<hf.models.BertModel>(env.minilmDir);
    model.eval();
    const dir = tempDir('sharded');
    await hf.savePretrained(model, dir, { tokenizer, maxShardSize: '20MB' });
    const shards = readdirSync(dir).filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    expect(shards.length).toBeGreaterThanOrEqual(4);
    expect(existsSync(path.join(dir, 'model.safetensors'))).toBe(false);
    const index = JSON.parse(readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(Object.keys(index.weight_map).sort()).toEqual(Object.keys(model.stateDict()).sort());
    const ids = torch.tensor(IDS, { dtype: 'int64' }), mask = torch.tensor(MASK, { dtype: 'int64' });
    const ours = torch.noGrad(() => model.forward(ids, { attentionMask: mask })).poolerOutput!;
    const theirs = await env.py.run<PyTensor>(`
from transformers import BertModel
m = BertModel.from_pretrained(dir).eval()
with torch.no_grad():
    out = m(input_ids=ids, attention_mask=mask).pooler_output`, { dir, ids, mask });
    expect(maxAbsDiff(ours.data() as Float32Array, theirs.data as Float32Array)).toBeLessThanOrEqual(1e-4);
    const back = await hf.fromPretrained<hf.models.BertModel>(dir);
    back.model.eval();
    expect(maxAbsDiff(torch.noGrad(() => back.model.forward(ids, { attentionMask: mask })).poolerOutput!.data() as Float32Array, ours.data() as Float32Array)).toBe(0);
    // Saving again unsharded replaces the shards: no mix of two saves.
    await hf.savePretrained(model, dir);
    expect(readdirSync(dir).filter((f) => f.startsWith('model')).sort()).toEqual(['model.safetensors']);
  }, 180_000);
});
