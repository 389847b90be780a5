// hf.fromPretrained on a tiny random GPT-2 that transformers creates and saves (safetensors):
// logits equal transformers' GPT2LMHeadModel (max abs diff <= 1e-4, float32), without and with a
// padding mask; Conv1D weights stay [in, out] as on disk; lm_head is tied to wte; an untied
// GPT-2 keeps its own head.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hf, torch } from '../../lib/index.js';
import { type PyTensor } from '../helpers/python.js';
import { type HfPython, maxAbsDiff, startHfPython, tempDir } from './hf-python.js';

torch.setNumThreads(1);

let env: HfPython | null = null;
beforeAll(async () => {
  env = await startHfPython();
}, 120_000);
afterAll(() => env?.py.close());

/** Saves a random GPT-2 (seeded) into a new folder. */
async function savedGpt2(tie: boolean): Promise<string> {
  const dir = tempDir(`gpt2-${tie ? 'tied' : 'untied'}`);
  await env!.py.run(`
from transformers import GPT2Config, GPT2LMHeadModel
torch.manual_seed(11)
c = GPT2Config(vocab_size=97, n_positions=32, n_embd=48, n_layer=2, n_head=4, tie_word_embeddings=tie, bos_token_id=0, eos_token_id=0)
m = GPT2LMHeadModel(c)
with torch.no_grad():
    for n, p in m.named_parameters():
        if n.endswith('bias') or 'ln_' in n:
            p.normal_(0, 0.1)
m.save_pretrained(dir, safe_serialization=True)
out = None`, { dir, tie });
  return dir;
}

const IDS = [[5, 17, 3, 96, 40, 41, 8], [1, 2, 3, 4, 0, 0, 0]];
const MASK = [[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]];

describe('hf GPT-2 against transformers', () => {
  it('tied GPT2LMHeadModel: logits equal, Conv1D weights [in, out], lm_head is wte', async (ctx) => {
    if (!env) return ctx.skip();
    const dir = await savedGpt2(true);
    const { model, missingKeys, unexpectedKeys, tokenizer } = await hf.fromPretrained<hf.models.GPT2LMHeadModel>(dir);
    expect(model).toBeInstanceOf(hf.models.GPT2LMHeadModel);
    expect(missingKeys).toEqual([]);
    expect(unexpectedKeys).toEqual([]);
    expect(tokenizer).toBeNull();
    expect(model.stateDict()['transformer.h.0.attn.c_attn.weight']!.shape).toEqual([48, 144]);
    expect(model.lmHead.weight).toBe(model.transformer.wte.weight);
    model.eval();
    const ids = torch.tensor(IDS, { dtype: 'int64' });
    const ours = torch.noGrad(() => model.forward(ids));
    const theirs = await env.py.run<PyTensor>(`
from transformers import GPT2LMHeadModel
m = GPT2LMHeadModel.from_pretrained(dir).eval()
with torch.no_grad():
    out = m(input_ids=ids).logits`, { dir, ids });
    expect(ours.shape).toEqual(theirs.shape);
    expect(maxAbsDiff(ours.data() as Float32Array, theirs.data as Float32Array)).toBeLessThanOrEqual(1e-4);
  }, 120_000);

  it('a padding mask: logits of the real positions equal transformers\'', async (ctx) => {
    if (!env) return ctx.skip();
    const dir = await savedGpt2(true);
    const { model } = await hf.fromPretrained<hf.models.GPT2LMHeadModel>(dir);
    model.eval();
    const ids = torch.tensor(IDS, { dtype: 'int64' }), mask = torch.tensor(MASK, { dtype: 'int64' });
    const ours = torch.noGrad(() => model.forward(ids, { attentionMask: mask }));
    const theirs = await env.py.run<PyTensor>(`
from transformers import GPT2LMHeadModel
m = GPT2LMHeadModel.from_pretrained(dir).eval()
with torch.no_grad():
    out = m(input_ids=ids, attention_mask=mask).logits`, { dir, ids, mask });
    const real = mask.unsqueeze(-1).to({ dtype: 'float32' });
    const theirsT = torch.tensor(theirs.data as Float32Array, { shape: theirs.shape });
    expect(maxAbsDiff(ours.mul(real).data() as Float32Array, theirsT.mul(real).data() as Float32Array)).toBeLessThanOrEqual(1e-4);
    // Right padding hides nothing from the real tokens before it: same as without the mask.
    const unmasked = torch.noGrad(() => model.forward(ids));
    expect(maxAbsDiff(ours.mul(real).data() as Float32Array, unmasked.mul(real).data() as Float32Array)).toBeLessThanOrEqual(1e-5);
  }, 120_000);

  it('untied GPT-2 keeps its own lm_head', async (ctx) => {
    if (!env) return ctx.skip();
    const dir = await savedGpt2(false);
    const { model, missingKeys } = await hf.fromPretrained<hf.models.GPT2LMHeadModel>(dir);
    expect(missingKeys).toEqual([]);
    expect(model.lmHead.weight).not.toBe(model.transformer.wte.weight);
    model.eval();
    const ids = torch.tensor(IDS, { dtype: 'int64' });
    const ours = torch.noGrad(() => model.forward(ids));
    const theirs = await env.py.run<PyTensor>(`
from transformers import GPT2LMHeadModel
m = GPT2LMHeadModel.from_pretrained(dir).eval()
with torch.no_grad():
    out = m(input_ids=ids).logits`, { dir, ids });
    expect(maxAbsDiff(ours.data() as Float32Array, theirs.data as Float32Array)).toBeLessThanOrEqual(1e-4);
  }, 120_000);

  it('pytorch_model.bin (torch.save of the state dict) loads as the safetensors folder does', async (ctx) => {
    if (!env) return ctx.skip();
    const dir = await savedGpt2(true);
    const bin = tempDir('gpt2-bin');
    await env.py.run(`
import os, shutil
from safetensors.torch import load_file
torch.save(load_file(os.path.join(dir, 'model.safetensors')), os.path.join(bin, 'pytorch_model.bin'))
shutil.copy(os.path.join(dir, 'config.json'), bin)
out = None`, { dir, bin });
    const a = await hf.fromPretrained<hf.models.GPT2LMHeadModel>(dir), b = await hf.fromPretrained<hf.models.GPT2LMHeadModel>(bin);
    expect(b.missingKeys).toEqual([]);
    for (const [k, t] of Object.entries(a.model.stateDict())) expect(t.equal(b.model.stateDict()[k]!), k).toBe(true);
  }, 120_000);

  it('dtype option: a bfloat16 model runs and stays close to float32', async (ctx) => {
    if (!env) return ctx.skip();
    const dir = await savedGpt2(true);
    const { model } = await hf.fromPretrained<hf.models.GPT2LMHeadModel>(dir, { dtype: 'bfloat16' });
    expect(model.parameters().every((p) => p.dtype === 'bfloat16')).toBe(true);
    model.eval();
    const reference = (await hf.fromPretrained<hf.models.GPT2LMHeadModel>(dir)).model.eval();
    const ids = torch.tensor(IDS, { dtype: 'int64' }), mask = torch.tensor(MASK, { dtype: 'int64' });
    const low = torch.noGrad(() => model.forward(ids, { attentionMask: mask })).to({ dtype: 'float32' });
    const full = torch.noGrad(() => reference.forward(ids, { attentionMask: mask }));
    expect(maxAbsDiff(low.data() as Float32Array, full.data() as Float32Array)).toBeLessThan(0.1);
  }, 120_000);
});
