// hf.fromPretrained on tiny random Llama models that transformers creates and saves: logits equal
// transformers' LlamaForCausalLM (max abs diff <= 1e-4, float32) with grouped-query attention and
// an untied head, with plain multi-head attention and a tied head, and with a padding mask.
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

async function savedLlama(kvHeads: number, tie: boolean): Promise<string> {
  const dir = tempDir(`llama-${kvHeads}-${tie}`);
  await env!.py.run(`
from transformers import LlamaConfig, LlamaForCausalLM
torch.manual_seed(13)
c = LlamaConfig(vocab_size=101, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=8, num_key_value_heads=kv,
                max_position_embeddings=64, tie_word_embeddings=tie, rope_parameters={'rope_type': 'default', 'rope_theta': 500.0}, bos_token_id=1, eos_token_id=2)
m = LlamaForCausalLM(c)
with torch.no_grad():
    for n, p in m.named_parameters():
        if 'norm' in n:
            p.normal_(1, 0.1)
m.save_pretrained(dir, safe_serialization=True)
out = None`, { dir, kv: kvHeads, tie });
  return dir;
}

const IDS = [[1, 17, 3, 96, 40, 41, 8, 100, 55, 23], [1, 2, 3, 4, 5, 6, 0, 0, 0, 0]];
const MASK = [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]];

async function compare(dir: string, withMask: boolean): Promise<number> {
  const { model, missingKeys, unexpectedKeys } = await hf.fromPretrained<hf.models.LlamaForCausalLM>(dir);
  expect(missingKeys).toEqual([]);
  expect(unexpectedKeys).toEqual([]);
  model.eval();
  const ids = torch.tensor(IDS, { dtype: 'int64' }), mask = torch.tensor(MASK, { dtype: 'int64' });
  const ours = torch.noGrad(() => model.forward(ids, withMask ? { attentionMask: mask } : {}));
  const theirs = await env!.py.run<PyTensor>(`
from transformers import LlamaForCausalLM
m = LlamaForCausalLM.from_pretrained(dir).eval()
with torch.no_grad():
    out = m(input_ids=ids, attention_mask=mask if with_mask else None).logits`, { dir, ids, mask, with_mask: withMask });
  expect(ours.shape).toEqual(theirs.shape);
  const keep = (withMask ? mask : torch.onesLike(mask)).unsqueeze(-1).to({ dtype: 'float32' });
  return maxAbsDiff(ours.mul(keep).data() as Float32Array, torch.tensor(theirs.data as Float32Array, { shape: theirs.shape }).mul(keep).data() as Float32Array);
}

describe('hf Llama against transformers', () => {
  it('grouped-query attention (8 query, 2 key/value heads), untied head', async (ctx) => {
    if (!env) return ctx.skip();
    const dir = await savedLlama(2, false);
    expect(await compare(dir, false)).toBeLessThanOrEqual(1e-4);
    const { model } = await hf.fromPretrained<hf.models.LlamaForCausalLM>(dir);
    expect(model.stateDict()['model.layers.0.self_attn.k_proj.weight']!.shape).toEqual([16, 64]);
    expect(model.lmHead.weight).not.toBe(model.model.embedTokens.weight);
  }, 120_000);

  it('multi-head attention, tied head, and a padding mask', async (ctx) => {
    if (!env) return ctx.skip();
    const dir = await savedLlama(8, true);
    expect(await compare(dir, false)).toBeLessThanOrEqual(1e-4);
    expect(await compare(dir, true)).toBeLessThanOrEqual(1e-4);
    const { model } = await hf.fromPretrained<hf.models.LlamaForCausalLM>(dir);
    expect(model.lmHead.weight).toBe(model.model.embedTokens.weight);
  }, 120_000);

  it('savePretrained: transformers loads our Llama with equal logits', async (ctx) => {
    if (!env) return ctx.skip();
    const { model } = await hf.fromPretrained<hf.models.LlamaForCausalLM>(await savedLlama(4, true));
    torch.noGrad(() => { for (const p of model.parameters()) p.add_(torch.randnLike(p).mul(1e-2)); });
    const dir = tempDir('llama-out');
    await hf.savePretrained(model, dir);
    expect(await compare(dir, true)).toBeLessThanOrEqual(1e-4);
    model.eval();
    const ids = torch.tensor(IDS, { dtype: 'int64' });
    const ours = torch.noGrad(() => model.forward(ids));
    const theirs = await env.py.run<PyTensor>(`
from transformers import AutoModelForCausalLM
m = AutoModelForCausalLM.from_pretrained(dir).eval()
with torch.no_grad():
    out = m(input_ids=ids).logits`, { dir, ids });
    expect(maxAbsDiff(ours.data() as Float32Array, theirs.data as Float32Array)).toBeLessThanOrEqual(1e-4);
  }, 120_000);
});
