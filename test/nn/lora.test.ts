// nn.lora: PEFT's LoRA. The layer layout, names, initialisation and merge are checked here;
// the adapter folder is checked against the real peft in both directions (peft's
// PeftModel.from_pretrained loads ours onto the same base model with equal outputs, and ours
// loads what peft's save_pretrained writes), on a small model defined identically in both
// languages (peft works on any torch.nn.Module).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, io, nn, torch } from '../../lib/index.js';
import { buildInfo } from '../../lib/core/addon.js';
import { TorchPython, compareTensors, parityRequired, referencePython, type PyTensor } from '../helpers/python.js';

const py = await TorchPython.start();
const peftVersion = py ? await py.run<string | null>('try:\n  import peft\n  out = peft.__version__\nexcept ImportError:\n  out = None') : null;
if (py && !peftVersion) {
  // The PyPI environment installs peft (scripts/requirements-test.txt); Debian's python3-torch has none.
  const message = `PEFT TESTS NOT RUN: peft is not installed in the reference Python ${referencePython()} (pip install -r scripts/requirements-test.txt)`;
  if (parityRequired && buildInfo?.libtorch.source === 'python') throw new Error(message);
  console.warn('\n' + '!'.repeat(100) + '\n' + message + '\n' + '!'.repeat(100));
}
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tt-lora-'));
afterAll(() => {
  py?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const F = nn.functional;

class Block extends nn.Module {
  declare query: nn.Linear;
  declare value: nn.Linear;
  declare ffn: nn.Linear;
  declare out: nn.Linear;
  constructor() {
    super();
    this.query = new nn.Linear(8, 8);
    this.value = new nn.Linear(8, 8);
    this.ffn = new nn.Linear(8, 16);
    this.out = new nn.Linear(16, 8);
  }
  forward(x: Tensor): Tensor {
    const h = x.add(this.value.forward(this.query.forward(x).tanh()));
    return h.add(this.out.forward(F.gelu(this.ffn.forward(h))));
  }
}

class Tiny extends nn.Module {
  declare layers: nn.ModuleList;
  declare head: nn.Linear;
  constructor() {
    super();
    this.layers = new nn.ModuleList([new Block(), new Block()]);
    this.head = new nn.Linear(8, 3);
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (const b of this.layers) h = b.forward(h);
    return this.head.forward(h);
  }
}

// The same model in Python, with the same module names.
const PY_MODEL = `
import math, torch
from torch import nn
import torch.nn.functional as F
from safetensors.torch import load_file
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = nn.Linear(8, 8); self.value = nn.Linear(8, 8); self.ffn = nn.Linear(8, 16); self.out = nn.Linear(16, 8)
    def forward(self, x):
        h = x + self.value(torch.tanh(self.query(x)))
        return h + self.out(F.gelu(self.ffn(h)))
class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([Block(), Block()]); self.head = nn.Linear(8, 3)
    def forward(self, x):
        for b in self.layers: x = b(x)
        return self.head(x)
def base_model(path):
    m = Tiny(); m.load_state_dict(load_file(path)); return m.eval()
`;

function tinyWithSavedBase(seed: number): { model: Tiny; basePath: string } {
  torch.manualSeed(seed);
  const model = new Tiny();
  const basePath = path.join(tmp, `base-${seed}.safetensors`);
  io.saveSafetensors(basePath, model.stateDict());
  return { model, basePath };
}

torch.manualSeed(99);
const x = torch.keep(torch.randn([5, 8]));

describe('nn.lora.apply', () => {
  it('wraps the targets in PEFT\'s layout, freezes the rest, and starts out computing what the base model does', () => {
    torch.manualSeed(0);
    const m = new Tiny();
    const before = torch.noGrad(() => m.forward(x));
    const summary = nn.lora.apply(m, { targetModules: ['query', 'value'], r: 4, alpha: 8 });
    expect(summary.targets).toEqual(['layers.0.query', 'layers.0.value', 'layers.1.query', 'layers.1.value']);
    expect(Object.keys(m.stateDict()).slice(0, 8)).toEqual([
      'layers.0.query.base_layer.weight', 'layers.0.query.base_layer.bias', 'layers.0.query.lora_A.default.weight', 'layers.0.query.lora_B.default.weight',
      'layers.0.value.base_layer.weight', 'layers.0.value.base_layer.bias', 'layers.0.value.lora_A.default.weight', 'layers.0.value.lora_B.default.weight',
    ]);
    const trainable = m.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);
    expect(trainable.every((n) => /\.lora_[AB]\.default\.weight$/.test(n))).toBe(true);
    expect(trainable).toHaveLength(8);
    expect(summary.trainable).toBe(4 * (4 * 8 + 8 * 4));
    expect(summary.total).toBe(m.numParameters());
    expect(summary.percent).toBeCloseTo((100 * summary.trainable) / summary.total, 10);
    expect(nn.lora.formatParameterCounts(m)).toMatch(/^trainable params: 256 \|\| all params: [\d,]+ \|\| trainable%: \d+\.\d{4}$/);
    const q = m.layers.at(0) as Block;
    expect(q.query).toBeInstanceOf(nn.lora.LoraLinear);
    expect((q.query as unknown as nn.lora.LoraLinear).scaling).toBe(2);
    expect(torch.noGrad(() => m.forward(x)).equal(before)).toBe(true); // lora_B starts at zero
    expect(m.toString()).toContain('(lora_A): ModuleDict');
  });

  it('matches names as PEFT does: exact paths, dotted suffixes, one string as a regex, RegExps over the whole path', () => {
    const targets = (t: nn.lora.TargetModules) => nn.lora.apply(new Tiny(), { targetModules: t, r: 2 }).targets;
    expect(targets(['layers.1.ffn'])).toEqual(['layers.1.ffn']);
    expect(targets(['0.out', 'head'])).toEqual(['layers.0.out', 'head']);
    expect(targets('layers\\.\\d\\.(query|ffn)')).toEqual(['layers.0.query', 'layers.0.ffn', 'layers.1.query', 'layers.1.ffn']);
    expect(targets([/.*1\.value/])).toEqual(['layers.1.value']);
    expect(() => targets([/value/])).toThrow(/match no module/); // a RegExp must match the whole path
  });

  it('explains bad targets and options', () => {
    expect(() => nn.lora.apply(new Tiny(), { targetModules: ['qeury'] })).toThrow(/match no module of Tiny \('qeury': did you mean 'query'\?\); its Linear layers are: layers\.0\.query/);
    expect(() => nn.lora.apply(new Tiny(), { targetModules: ['layers'] })).toThrow(/'layers' is a ModuleList; LoRA wraps nn\.Linear \(and GPT-2's Conv1D\) layers only/);
    expect(() => nn.lora.apply(new Tiny(), { targetModules: ['query'], r: 0 })).toThrow(/r: Too small.*given 0/);
    expect(() => nn.lora.apply(new Tiny(), { targetModules: ['query'], rank: 4 } as never)).toThrow(/rank: not an option of nn\.lora\.apply; it takes targetModules, r, alpha, dropout, bias, useRslora/);
    expect(() => nn.lora.apply(new Tiny(), { targetModules: ['query'], bias: 'all' } as never)).toThrow(/bias: .*only 'none' is supported/);
    const m = new Tiny();
    nn.lora.apply(m, { targetModules: ['query'] });
    expect(() => nn.lora.apply(m, { targetModules: ['query'] })).toThrow(/'layers\.0\.query' already has a LoRA adapter/);
    const gpt = new (class extends nn.Module {
      declare block: nn.TransformerDecoderBlock;
      constructor() { super(); this.block = new nn.TransformerDecoderBlock(8, 2); }
      forward(h: Tensor) { return this.block.forward(h); }
    })();
    expect(() => nn.lora.apply(gpt, { targetModules: ['out_proj'] })).toThrow(/MultiheadAttention's out_proj, whose weight the attention reads directly/);
    expect(nn.lora.apply(gpt, { targetModules: ['mlp_fc', 'mlp_proj'] }).targets).toEqual(['block.mlp_fc', 'block.mlp_proj']);
  });

  it('merge adds B @ A * scaling into the base weight (same outputs), unmerge takes it out, unload restores the layers', () => {
    torch.manualSeed(1);
    const m = new Tiny();
    const w0 = (m.layers.at(0) as Block).ffn.weight.clone();
    nn.lora.apply(m, { targetModules: ['ffn', 'out'], r: 3, alpha: 6, dropout: 0.2 });
    for (const [, l] of nn.lora.loraLayers(m)) nn.init.normal_(l.b.weight, 0, 0.5);
    m.eval(); // dropout off
    const y = torch.noGrad(() => m.forward(x));
    const layer = (m.layers.at(0) as Block).ffn as unknown as nn.lora.LoraLinear;
    const expected = w0.add(layer.b.weight.detach().matmul(layer.a.weight.detach()).mul(2));
    nn.lora.merge(m);
    nn.lora.merge(m); // a no-op the second time
    expect(layer.merged).toBe(true);
    expect(layer.baseLayer.weight.sub(expected).abs().max().item()).toBeLessThan(1e-6);
    expect(torch.noGrad(() => m.forward(x)).sub(y).abs().max().item()).toBeLessThan(1e-5);
    nn.lora.unmerge(m);
    expect(layer.baseLayer.weight.sub(w0).abs().max().item()).toBeLessThan(1e-6);
    expect(torch.noGrad(() => m.forward(x)).sub(y).abs().max().item()).toBeLessThan(1e-5);
    nn.lora.mergeAndUnload(m);
    expect(nn.lora.loraLayers(m)).toEqual([]);
    expect((m.layers.at(0) as Block).ffn).toBeInstanceOf(nn.Linear);
    expect(Object.keys(m.stateDict())).toEqual(Object.keys(new Tiny().stateDict()));
    expect(torch.noGrad(() => m.forward(x)).sub(y).abs().max().item()).toBeLessThan(1e-5);
  });

  it('only the adapters get gradients; dropout applies to the adapter path in training', () => {
    torch.manualSeed(2);
    const m = new Tiny();
    nn.lora.apply(m, { targetModules: ['query'], r: 2, dropout: 0.5 });
    m.forward(x).pow(2).sum().backward();
    for (const [name, p] of m.namedParameters()) expect(p.grad === null, name).toBe(!name.includes('lora_'));
  });
});

describe.skipIf(!py || !peftVersion)(`adapters in PEFT's format (peft ${peftVersion})`, () => {
  it('draws lora_A as PEFT does: the same seed gives the same initial adapter', async () => {
    const { model, basePath } = tinyWithSavedBase(3);
    torch.manualSeed(7);
    nn.lora.apply(model, { targetModules: ['query', 'ffn'], r: 4, alpha: 8 });
    const theirs = await py!.run<Record<string, PyTensor>>(PY_MODEL + `
from peft import LoraConfig, get_peft_model
base = base_model(path)
torch.manual_seed(7)
m = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=['query', 'ffn']))
out = {k[len('base_model.model.'):]: v for k, v in m.state_dict().items() if 'lora_' in k}
`, { path: basePath });
    const ours = model.stateDict();
    expect(Object.keys(theirs).sort()).toEqual(Object.keys(ours).filter((k) => k.includes('lora_')).sort());
    for (const [k, t] of Object.entries(theirs)) expect(compareTensors(ours[k], t), k).toBeNull();
  });

  it('peft\'s PeftModel.from_pretrained loads our adapter onto the same base model with equal outputs', async () => {
    const { model, basePath } = tinyWithSavedBase(4);
    nn.lora.apply(model, { targetModules: ['query', 'value', 'ffn'], r: 4, alpha: 16, dropout: 0.1 });
    for (const [, l] of nn.lora.loraLayers(model)) nn.init.normal_(l.b.weight, 0, 0.3);
    const dir = path.join(tmp, 'ours');
    nn.lora.saveAdapter(model, dir, { baseModelNameOrPath: 'tiny-test-model' });
    const config = JSON.parse(readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 16, lora_dropout: 0.1, bias: 'none', task_type: null, base_model_name_or_path: 'tiny-test-model' });
    expect(Object.keys(io.loadSafetensors(path.join(dir, 'adapter_model.safetensors')))).toContain('base_model.model.layers.1.ffn.lora_B.weight');
    model.eval();
    const ours = torch.noGrad(() => model.forward(x));
    const theirs = await py!.run<{ y: PyTensor; trainable: number; names: string[] }>(PY_MODEL + `
from peft import PeftModel
m = PeftModel.from_pretrained(base_model(path), adapter).eval()
with torch.no_grad():
    y = m(x)
out = {'y': y, 'trainable': sum(p.numel() for n, p in m.named_parameters() if 'lora_' in n),
       'names': sorted(n for n, _ in m.base_model.model.named_modules() if n.endswith('lora_A'))}
`, { path: basePath, adapter: dir, x });
    expect(compareTensors(ours, theirs.y, { atol: 1e-6, rtol: 1e-5 })).toBeNull();
    expect(theirs.trainable).toBe(model.numParameters({ trainableOnly: true }));
    expect(theirs.names).toHaveLength(6);
    // ... and the base model without the adapter differs (the test is not vacuous).
    const plain = await py!.run<PyTensor>(PY_MODEL + 'out = base_model(path)(x).detach()', { path: basePath, x });
    expect(compareTensors(ours, plain, { atol: 1e-3 })).not.toBeNull();
  });

  it('loadAdapter loads what peft\'s save_pretrained writes, with equal outputs (and rank-stabilised scaling)', async () => {
    for (const useRslora of [false, true]) {
      const { model, basePath } = tinyWithSavedBase(5);
      const dir = path.join(tmp, `peft-${useRslora}`);
      const y = await py!.run<PyTensor>(PY_MODEL + `
from peft import LoraConfig, get_peft_model
m = get_peft_model(base_model(path), LoraConfig(r=2, lora_alpha=5, lora_dropout=0.05, target_modules=['value', 'out', 'head'], use_rslora=rs))
torch.manual_seed(0)
for n, p in m.named_parameters():
    if 'lora_B' in n: nn.init.normal_(p, 0, 0.3)
m.save_pretrained(adapter)
m.eval()
with torch.no_grad(): out = m(x)
`, { path: basePath, adapter: dir, x, rs: useRslora });
      const summary = nn.lora.loadAdapter(model, dir);
      expect(summary.targets).toEqual(['layers.0.value', 'layers.0.out', 'layers.1.value', 'layers.1.out', 'head']);
      model.eval();
      expect(compareTensors(torch.noGrad(() => model.forward(x)), y, { atol: 1e-6, rtol: 1e-5 }), `use_rslora ${useRslora}`).toBeNull();
      // Saving it again gives a folder that round-trips through our reader too.
      nn.lora.saveAdapter(model, path.join(tmp, `again-${useRslora}`));
      const copy = tinyWithSavedBase(5).model;
      nn.lora.loadAdapter(copy, path.join(tmp, `again-${useRslora}`));
      copy.eval();
      expect(torch.noGrad(() => copy.forward(x)).equal(torch.noGrad(() => model.forward(x)))).toBe(true);
    }
  });

  it('our merge gives PEFT\'s merge_and_unload weights', async () => {
    const { model, basePath } = tinyWithSavedBase(6);
    nn.lora.apply(model, { targetModules: ['ffn'], r: 2, alpha: 3 });
    for (const [, l] of nn.lora.loraLayers(model)) nn.init.normal_(l.b.weight, 0, 0.3);
    const dir = path.join(tmp, 'merge');
    nn.lora.saveAdapter(model, dir);
    nn.lora.mergeAndUnload(model);
    const theirs = await py!.run<Record<string, PyTensor>>(PY_MODEL + `
from peft import PeftModel
out = PeftModel.from_pretrained(base_model(path), adapter).merge_and_unload().state_dict()
`, { path: basePath, adapter: dir });
    const ours = model.stateDict();
    expect(Object.keys(theirs)).toEqual(Object.keys(ours));
    for (const [k, t] of Object.entries(theirs)) expect(compareTensors(ours[k], t, { atol: 1e-6 }), k).toBeNull();
  });
});

describe('adapter folders: errors', () => {
  it('names what is wrong with a folder', () => {
    const m = new Tiny();
    expect(() => nn.lora.loadAdapter(m, path.join(tmp, 'nope'))).toThrow(/adapter_config\.json does not exist/);
    expect(() => nn.lora.saveAdapter(new Tiny(), path.join(tmp, 'none'))).toThrow(/the model has no LoRA layers; call nn\.lora\.apply/);
    const dir = path.join(tmp, 'bad');
    const donor = new Tiny();
    nn.lora.apply(donor, { targetModules: ['query'], r: 2 });
    nn.lora.saveAdapter(donor, dir);
    const other = new Tiny();
    nn.lora.apply(other, { targetModules: ['ffn'], r: 2 });
    expect(() => nn.lora.loadAdapter(other, dir)).toThrow(/already has LoRA layers that the adapter does not target \(layers\.0\.ffn, layers\.1\.ffn\)/);
  });
});
