// LoRA on Hugging Face models (hf.fromPretrained) against peft on transformers' own models:
// a tiny random GPT-2 (its c_attn/c_proj are Conv1D, PEFT's fan_in_fan_out) both ways, and the
// real all-MiniLM-L6-v2 (query/value Linear layers) with our adapter loaded by PeftModel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hf, nn, torch } from '../../lib/index.js';
import { type PyTensor } from '../helpers/python.js';
import { type HfPython, maxAbsDiff, startPeftPython, tempDir } from '../hf/hf-python.js';

torch.setNumThreads(1);

let env: HfPython | null = null;
beforeAll(async () => {
  env = await startPeftPython('LoRA HF TESTS');
}, 120_000);
afterAll(() => env?.py.close());

async function savedGpt2(): Promise<string> {
  const dir = tempDir('lora-gpt2');
  await env!.py.run(`
from transformers import GPT2Config, GPT2LMHeadModel
torch.manual_seed(3)
m = GPT2LMHeadModel(GPT2Config(vocab_size=97, n_positions=32, n_embd=48, n_layer=2, n_head=4, bos_token_id=0, eos_token_id=0))
m.save_pretrained(dir, safe_serialization=True)
out = None`, { dir });
  return dir;
}

const IDS = [[5, 17, 3, 96, 40, 41, 8], [1, 2, 3, 4, 9, 10, 11]];

describe('LoRA on Hugging Face models, against peft', () => {
  it('GPT-2 (Conv1D layers): peft\'s adapter loads into ours and ours into peft, with equal logits; merge equals peft\'s', async (ctx) => {
    if (!env) return ctx.skip();
    const base = await savedGpt2();
    const ids = torch.tensor(IDS, { dtype: 'int64' });
    const theirsDir = tempDir('lora-gpt2-peft');
    const theirs = await env.py.run<PyTensor>(`
from transformers import GPT2LMHeadModel
from peft import LoraConfig, get_peft_model
m = get_peft_model(GPT2LMHeadModel.from_pretrained(base), LoraConfig(r=4, lora_alpha=8, target_modules=['c_attn', 'c_proj'], fan_in_fan_out=True, task_type='CAUSAL_LM'))
torch.manual_seed(0)
for n, p in m.named_parameters():
    if 'lora_B' in n: torch.nn.init.normal_(p, 0, 0.2)
m.save_pretrained(adapter)
m.eval()
with torch.no_grad(): out = m(input_ids=ids).logits`, { base, adapter: theirsDir, ids });
    const { model } = await hf.fromPretrained<hf.models.GPT2LMHeadModel>(base);
    const summary = nn.lora.loadAdapter(model, theirsDir);
    expect(summary.targets).toEqual(['transformer.h.0.attn.c_attn', 'transformer.h.0.attn.c_proj', 'transformer.h.0.mlp.c_proj',
      'transformer.h.1.attn.c_attn', 'transformer.h.1.attn.c_proj', 'transformer.h.1.mlp.c_proj']);
    model.eval();
    const ours = torch.noGrad(() => model.forward(ids)) as ReturnType<typeof torch.zeros>;
    expect(maxAbsDiff(ours.data() as Float32Array, theirs.data as Float32Array)).toBeLessThanOrEqual(1e-4);

    // Ours -> peft: change the adapter, save it, and let PeftModel.from_pretrained read it.
    for (const [, l] of nn.lora.loraLayers(model)) nn.init.normal_(l.a.weight, 0, 0.2);
    const oursDir = tempDir('lora-gpt2-ours');
    nn.lora.saveAdapter(model, oursDir, { taskType: 'CAUSAL_LM', baseModelNameOrPath: base });
    const again = torch.noGrad(() => model.forward(ids)) as ReturnType<typeof torch.zeros>;
    const loaded = await env.py.run<{ logits: PyTensor; merged: PyTensor }>(`
from transformers import GPT2LMHeadModel
from peft import PeftModel
m = PeftModel.from_pretrained(GPT2LMHeadModel.from_pretrained(base), adapter).eval()
with torch.no_grad(): logits = m(input_ids=ids).logits
out = {'logits': logits, 'merged': m.merge_and_unload().state_dict()['transformer.h.1.attn.c_attn.weight']}`, { base, adapter: oursDir, ids });
    expect(maxAbsDiff(again.data() as Float32Array, loaded.logits.data as Float32Array)).toBeLessThanOrEqual(1e-4);
    nn.lora.mergeAndUnload(model);
    expect(maxAbsDiff(model.stateDict()['transformer.h.1.attn.c_attn.weight'].data() as Float32Array, loaded.merged.data as Float32Array)).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff((torch.noGrad(() => model.forward(ids)) as typeof again).data() as Float32Array, again.data() as Float32Array)).toBeLessThanOrEqual(1e-4);
  }, 120_000);

  it('MiniLM (BERT): our query/value adapter loads into peft on transformers\' BertModel with equal hidden states', async (ctx) => {
    if (!env) return ctx.skip();
    const { model } = await hf.fromPretrained<hf.models.BertModel>(env.minilmDir);
    const summary = nn.lora.apply(model, { targetModules: ['query', 'value'], r: 8, alpha: 16 });
    expect(summary.targets).toHaveLength(12);
    expect(summary.trainable).toBe(6 * 2 * 8 * (384 + 384));
    torch.manualSeed(1);
    for (const [, l] of nn.lora.loraLayers(model)) nn.init.normal_(l.b.weight, 0, 0.05);
    const dir = tempDir('lora-minilm');
    nn.lora.saveAdapter(model, dir, { baseModelNameOrPath: 'sentence-transformers/all-MiniLM-L6-v2', taskType: 'FEATURE_EXTRACTION' });
    model.eval();
    const ids = torch.tensor([[101, 7592, 2088, 999, 102]], { dtype: 'int64' });
    const ours = torch.noGrad(() => model.forward(ids)).lastHiddenState;
    const theirs = await env.py.run<PyTensor>(`
from transformers import BertModel
from peft import PeftModel
m = PeftModel.from_pretrained(BertModel.from_pretrained(base), adapter).eval()
with torch.no_grad(): out = m(input_ids=ids).last_hidden_state`, { base: env.minilmDir, adapter: dir, ids });
    expect(maxAbsDiff(ours.data() as Float32Array, theirs.data as Float32Array)).toBeLessThanOrEqual(1e-4);
  }, 120_000);
});
