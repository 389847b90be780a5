// Llama rotary scaling against transformers 5: tiny random LlamaForCausalLM folders that
// transformers saves with rope_parameters of each type lib/hf computes (linear, dynamic, llama3,
// yarn, also with a transformers-4-style rope_scaling + rope_theta), loaded by hf.fromPretrained:
// logits equal (max abs diff <= 1e-4, float32) on a sequence as long as max_position_embeddings.
// Small rope_theta and original_max_position_embeddings put the frequencies in every band of llama3
// and yarn's ramp, so the scalings change the logits (checked against the unscaled model).
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
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

const T = 32;
const IDS = [Array.from({ length: T }, (_, i) => (i * 37 + 5) % 101), Array.from({ length: T }, (_, i) => (i * 11 + 3) % 101)];

interface Saved { dir: string; logits: PyTensor }

/** Saves a tiny Llama per case (one Python call) and returns transformers' logits on IDS, and the unscaled model's. */
async function saveAll(cases: [string, Record<string, unknown>][]): Promise<{ saved: Saved[]; unscaled: PyTensor }> {
  const dirs = cases.map(([name]) => tempDir(`rope-${name.replace(/\W+/g, '-')}`));
  const out = await env!.py.run<{ logits: PyTensor[]; unscaled: PyTensor }>(`
from transformers import LlamaConfig, LlamaForCausalLM
def build(rp):
    torch.manual_seed(21)
    c = LlamaConfig(vocab_size=101, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                    max_position_embeddings=${T}, rope_parameters=rp, bos_token_id=1, eos_token_id=2)
    return LlamaForCausalLM(c).eval()
logits = []
with torch.no_grad():
    for rope, d in zip(ropes, dirs):
        m = build(dict(rope))
        m.save_pretrained(d, safe_serialization=True)
        logits.append(m(input_ids=ids).logits)
    unscaled = build({'rope_type': 'default', 'rope_theta': 100.0})(input_ids=ids).logits
out = {'logits': logits, 'unscaled': unscaled}`, { dirs, ropes: cases.map(([, r]) => r), ids: torch.tensor(IDS, { dtype: 'int64' }) });
  return { saved: dirs.map((dir, i) => ({ dir, logits: out.logits[i]! })), unscaled: out.unscaled };
}

async function ours(dir: string): Promise<Float32Array> {
  const { model } = await hf.fromPretrained<hf.models.LlamaForCausalLM>(dir);
  model.eval();
  return torch.noGrad(() => model.forward(torch.tensor(IDS, { dtype: 'int64' }))).data() as Float32Array;
}

const CASES: [string, Record<string, unknown>][] = [
  ['linear', { rope_type: 'linear', rope_theta: 100.0, factor: 4.0 }],
  ['dynamic', { rope_type: 'dynamic', rope_theta: 100.0, factor: 2.0 }],
  ['llama3', { rope_type: 'llama3', rope_theta: 100.0, factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 64 }],
  ['yarn', { rope_type: 'yarn', rope_theta: 100.0, factor: 4.0, original_max_position_embeddings: 64 }],
  ['yarn with mscale', { rope_type: 'yarn', rope_theta: 100.0, factor: 4.0, original_max_position_embeddings: 8, mscale: 0.707, mscale_all_dim: 1.0, beta_fast: 16, beta_slow: 2 }],
];

describe('hf Llama rotary scaling against transformers', () => {
  let all: Awaited<ReturnType<typeof saveAll>> | null = null;
  beforeAll(async () => {
    if (env) all = await saveAll(CASES);
  }, 120_000);

  CASES.forEach(([name], i) => {
    it(name, async (ctx) => {
      if (!all) return ctx.skip();
      const { dir, logits } = all.saved[i]!;
      expect(maxAbsDiff(await ours(dir), logits.data as Float32Array)).toBeLessThanOrEqual(1e-4);
      // The scaling matters on these inputs, except dynamic, which only changes past max_position_embeddings.
      if (name !== 'dynamic') expect(maxAbsDiff(logits.data as Float32Array, all.unscaled.data as Float32Array)).toBeGreaterThan(1e-3);
    });
  });

  it('a transformers-4 config.json (rope_theta + rope_scaling with `type`) computes the same', async (ctx) => {
    if (!all) return ctx.skip();
    const { dir, logits } = all.saved[2]!;
    const file = path.join(dir, 'config.json');
    const { rope_parameters: rope, ...rest } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
    const { rope_type: type, rope_theta: theta, ...scaling } = rope!;
    writeFileSync(file, JSON.stringify({ ...rest, rope_theta: theta, rope_scaling: { type, ...scaling } }));
    expect(maxAbsDiff(await ours(dir), logits.data as Float32Array)).toBeLessThanOrEqual(1e-4);
  });
});
