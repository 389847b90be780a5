// LoRA's modulesToSave (PEFT's modules_to_save): the head trains as a copy next to the adapters
// while the original stays, the copy is saved in the adapter folder, and peft reads ours and we
// read peft's (a tiny random BertForSequenceClassification that transformers makes, SEQ_CLS).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { hf, io, nn, optim, type Tensor, torch } from '../../lib/index.js';
import { type PyTensor } from '../helpers/python.js';
import { type HfPython, maxAbsDiff, startPeftPython, tempDir } from '../hf/hf-python.js';

torch.setNumThreads(1);

let env: HfPython | null = null;
beforeAll(async () => {
  env = await startPeftPython('LoRA modules_to_save PEFT TESTS');
}, 120_000);
afterAll(() => env?.py.close());

const BERT = { vocab_size: 90, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 48, max_position_embeddings: 32, num_labels: 3 };

function tinyClassifier(): hf.models.BertForSequenceClassification {
  torch.manualSeed(0);
  return new hf.models.BertForSequenceClassification(hf.bertConfigSchema.parse(BERT));
}

describe('nn.lora modulesToSave', () => {
  it('trains a copy of the head next to the adapters; the original, the base and unload behave as PEFT\'s', () => {
    const model = tinyClassifier();
    const original = model.classifier.weight.clone();
    const summary = nn.lora.apply(model, { targetModules: ['query', 'value'], r: 4, modulesToSave: ['classifier'] });
    expect(summary.modulesToSave).toEqual(['classifier']);
    const keys = Object.keys(model.stateDict());
    expect(keys).toContain('classifier.original_module.weight');
    expect(keys).toContain('classifier.modules_to_save.default.bias');
    const trainable = model.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);
    expect(trainable.filter((n) => n.startsWith('classifier'))).toEqual(['classifier.modules_to_save.default.weight', 'classifier.modules_to_save.default.bias']);
    expect(summary.trainable).toBe(model.numParameters({ trainableOnly: true }));

    const ids = torch.randint(0, 90, [2, 6], { dtype: 'int64' });
    const opt = new optim.SGD(model.parameters().filter((p) => p.requiresGrad), { lr: 0.5 });
    model.forward(ids).logSoftmax(-1).select(1, 0).sum().neg().backward();
    opt.step();
    const wrapper = model.classifier as unknown as nn.lora.ModulesToSaveWrapper;
    expect((wrapper.originalModule as nn.Linear).weight.equal(original)).toBe(true);
    const trained = (wrapper.trained as nn.Linear).weight;
    expect(trained.equal(original)).toBe(false);

    nn.lora.unload(model);
    expect(model.classifier).toBeInstanceOf(nn.Linear);
    expect(model.classifier.weight.equal(trained)).toBe(true);
  });

  it('names a module that is not there, with the nearest name', () => {
    expect(() => nn.lora.apply(tinyClassifier(), { targetModules: ['query'], modulesToSave: ['clasifier'] })).toThrow(/modulesToSave 'clasifier' matches no module.*did you mean 'classifier'/);
  });

  it('saveAdapter writes the head under PEFT\'s keys and modules_to_save; loadAdapter reads it back', () => {
    const model = tinyClassifier();
    nn.lora.apply(model, { targetModules: ['query'], r: 2, modulesToSave: ['classifier'] });
    nn.init.normal_((model.classifier as unknown as nn.lora.ModulesToSaveWrapper).trained.parameters()[0]!, 0, 1);
    const dir = tempDir('mts-roundtrip');
    nn.lora.saveAdapter(model, dir, { taskType: 'SEQ_CLS' });
    expect(nn.lora.readAdapterConfig(dir).modules_to_save).toEqual(['classifier']);
    const written = torch.scope(() => Object.keys(io.loadSafetensors(path.join(dir, 'adapter_model.safetensors'))).sort());
    expect(written).toEqual(['base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight', 'base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight',
      'base_model.model.bert.encoder.layer.1.attention.self.query.lora_A.weight', 'base_model.model.bert.encoder.layer.1.attention.self.query.lora_B.weight',
      'base_model.model.classifier.bias', 'base_model.model.classifier.weight']);
    const fresh = tinyClassifier();
    const summary = nn.lora.loadAdapter(fresh, dir);
    expect(summary.modulesToSave).toEqual(['classifier']);
    const ids = torch.randint(0, 90, [2, 6], { dtype: 'int64' });
    model.eval();
    fresh.eval();
    expect(torch.noGrad(() => fresh.forward(ids)).equal(torch.noGrad(() => model.forward(ids)))).toBe(true);
  });

  it('against peft: peft\'s SEQ_CLS adapter with modules_to_save loads into ours and ours into peft, with equal logits', async (ctx) => {
    if (!env) return ctx.skip();
    const base = tempDir('mts-base'), theirsDir = tempDir('mts-peft'), oursDir = tempDir('mts-ours');
    const ids = torch.tensor([[2, 17, 33, 80, 5, 9, 3], [2, 40, 41, 3, 0, 0, 0]], { dtype: 'int64' });
    const mask = torch.tensor([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]], { dtype: 'int64' });
    const theirs = await env.py.run<{ logits: PyTensor; keys: string[] }>(`
from transformers import BertConfig, BertForSequenceClassification
from peft import LoraConfig, get_peft_model
from safetensors import safe_open
import os
torch.manual_seed(5)
BertForSequenceClassification(BertConfig(**cfg)).save_pretrained(base)
m = get_peft_model(BertForSequenceClassification.from_pretrained(base),
                   LoraConfig(r=4, lora_alpha=8, target_modules=['query', 'value'], modules_to_save=['classifier'], task_type='SEQ_CLS'))
torch.manual_seed(0)
for n, p in m.named_parameters():
    if 'lora_B' in n or 'modules_to_save' in n: torch.nn.init.normal_(p, 0, 0.3)
m.save_pretrained(adapter)
m.eval()
with torch.no_grad(): logits = m(input_ids=ids, attention_mask=mask).logits
with safe_open(os.path.join(adapter, 'adapter_model.safetensors'), 'pt') as f: keys = sorted(f.keys())
out = {'logits': logits, 'keys': keys}`, { base, adapter: theirsDir, ids, mask, cfg: BERT });
    expect(theirs.keys).toContain('base_model.model.classifier.weight');

    const { model } = await hf.fromPretrained<hf.models.BertForSequenceClassification>(base, { tokenizer: false });
    const summary = nn.lora.loadAdapter(model, theirsDir);
    expect(summary.modulesToSave).toEqual(['classifier']);
    model.eval();
    const ours = torch.noGrad(() => model.forward(ids, { attentionMask: mask })) as Tensor;
    expect(maxAbsDiff(ours.data() as Float32Array, theirs.logits.data as Float32Array)).toBeLessThanOrEqual(1e-5);

    // Ours -> peft: change the head's copy and the adapters, save, and let PeftModel.from_pretrained read them.
    const wrapper = model.classifier as unknown as nn.lora.ModulesToSaveWrapper;
    for (const p of wrapper.trained.parameters()) nn.init.normal_(p, 0, 0.5);
    for (const [, l] of nn.lora.loraLayers(model)) nn.init.normal_(l.a.weight, 0, 0.2);
    nn.lora.saveAdapter(model, oursDir, { taskType: 'SEQ_CLS', baseModelNameOrPath: base });
    const again = torch.noGrad(() => model.forward(ids, { attentionMask: mask })) as Tensor;
    const loaded = await env.py.run<{ logits: PyTensor; keys: string[]; original: PyTensor }>(`
from transformers import BertForSequenceClassification
from peft import PeftModel
from safetensors import safe_open
import os
m = PeftModel.from_pretrained(BertForSequenceClassification.from_pretrained(base), adapter).eval()
with torch.no_grad(): logits = m(input_ids=ids, attention_mask=mask).logits
with safe_open(os.path.join(adapter, 'adapter_model.safetensors'), 'pt') as f: keys = sorted(f.keys())
out = {'logits': logits, 'keys': keys, 'original': m.base_model.model.classifier.original_module.weight.detach()}`, { base, adapter: oursDir, ids, mask });
    expect(loaded.keys).toEqual(theirs.keys);
    expect(maxAbsDiff(again.data() as Float32Array, loaded.logits.data as Float32Array)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff((wrapper.originalModule as nn.Linear).weight.data() as Float32Array, loaded.original.data as Float32Array)).toBe(0);
  }, 120_000);
});
