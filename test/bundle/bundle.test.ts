// Export bundles: a trained model exported (from a Trainer and from a checkpoint folder), loaded
// back and predicting exactly what the trained model does; the weights read by Python's
// safetensors and loaded into a PyTorch module; bad bundles refused with a clear error; the card.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, TaskSpecs, Trainer, bundle, data, exportBundle, loadBundle, loggers, models, nn, torch } from '../../lib/index.js';
import { TorchPython } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tt-bundle-'));
process.env.TORCHTRAIN_PROGRESS = '0';

/** A 3-class problem on 4 features: the class is the largest of the first three features. */
function classification(n: number, seed: number) {
  torch.manualSeed(seed);
  const features = torch.keep(torch.randn([n, 4]));
  const labels = torch.keep(features.narrow(1, 0, 3).argmax(-1));
  return new data.TensorDataset({ features, labels });
}
const classTask = TaskSpecs.sequenceClassification({ numClasses: 3, modality: 'tabular', fields: { inputs: 'features' }, metrics: ['loss', 'accuracy'] });

async function trainedMlp(dir: string, checkpointDir?: string) {
  torch.manualSeed(0);
  const model = new models.MLP({ inFeatures: 4, hiddenSizes: [16], outFeatures: 3 });
  const trainer = new Trainer({
    model, task: classTask,
    train: new data.DataLoader(classification(64, 1), { batchSize: 16, shuffle: true, seed: 2 }),
    val: new data.DataLoader(classification(32, 3), { batchSize: 32 }),
    config: { maxEpochs: 2, logEveryNSteps: 2, optimizer: { lr: 1e-2 } },
    callbacks: [new loggers.JsonlLogger({ path: path.join(dir, 'metrics.jsonl') })],
    ...(checkpointDir ? { checkpoint: { dir: checkpointDir, writeInBackground: false } } : {}),
  });
  await trainer.fit();
  return { model, trainer };
}

const same = (a: Tensor, b: Tensor) => {
  expect(a.shape).toEqual(b.shape);
  expect(Array.from(a.data() as Float32Array)).toEqual(Array.from(b.data() as Float32Array));
};

describe('export bundles', () => {
  it('round trip of a classifier trained with the Trainer: predict equals the trained model, exactly; Python loads the weights', async () => {
    const dir = tmp();
    const { model, trainer } = await trainedMlp(dir);
    const out = exportBundle(trainer, path.join(dir, 'bundle'));
    // data_profile.json when the Trainer profiled its data (trainer.dataProfiles).
    const profiled = (trainer as unknown as { dataProfiles?: object }).dataProfiles ? ['data_profile.json'] : [];
    const files = ['README.md', ...profiled, 'metrics.jsonl', 'model.json', 'model.safetensors', 'task.json', 'training.json'];
    expect(fs.readdirSync(out).sort()).toEqual(['bundle.json', ...files].sort());
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'bundle.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'torchtrain-bundle', version: 1, model: { zoo: 'mlp' }, task: 'seq_classification', tokenizer: null });
    expect(Object.keys(manifest.files).sort()).toEqual(files.sort());

    const loaded = await loadBundle(out);
    expect(loaded.description).toEqual({ zoo: 'mlp', config: { inFeatures: 4, hiddenSizes: [16], outFeatures: 3, activation: 'relu', dropout: 0, bias: true } });
    expect(loaded.task).toEqual(trainer.core.task);
    expect(loaded.model.training).toBe(false);
    expect(loaded.metrics.length).toBeGreaterThan(1);
    expect(loaded.metrics.at(-1)!.step).toBe(trainer.step);
    expect((loaded.config as { maxEpochs: number }).maxEpochs).toBe(2);

    torch.manualSeed(9);
    const x = torch.keep(torch.randn([5, 4]));
    model.eval();
    const expected = torch.keep(torch.noGrad(() => model.forward(x)));
    const prediction = loaded.predict(x);
    if (prediction.kind !== 'classification') throw new Error(`expected a classification, got ${prediction.kind}`);
    same(prediction.logits, expected);
    expect(prediction.classIds).toEqual(expected.argmax(-1).tolist());
    expect(prediction.probabilities).toHaveLength(5);
    for (const p of prediction.probabilities) expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    // A batch as the Trainer sees it works too.
    const fromBatch = loaded.predict({ features: x });
    if (fromBatch.kind !== 'classification') throw new Error('expected a classification');
    same(fromBatch.logits, expected);

    if (!py) return;
    const theirs = await py.run<{ keys: string[]; logits: unknown }>(`
import torch, safetensors.torch
sd = safetensors.torch.load_file(${JSON.stringify(path.join(out, 'model.safetensors'))})
class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    def forward(self, x):
        return self.layers(x)
m = MLP()
m.load_state_dict(sd, strict=True)
m.eval()
with torch.no_grad():
    out = {"keys": sorted(sd.keys()), "logits": m(x)}
`, { x });
    expect(theirs.keys).toEqual(Object.keys(model.stateDict()).sort());
    const pyLogits = theirs.logits as { shape: number[]; data: Float32Array };
    expect(pyLogits.shape).toEqual([5, 3]);
    const ours = expected.data() as Float32Array;
    pyLogits.data.forEach((v, i) => expect(v).toBeCloseTo(ours[i], 5));
  });

  it('round trip of a GPT language model with its tokenizer: texts in, next tokens and logits out, equal to the model; Python reads the same tensors', async () => {
    const dir = tmp();
    const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(8);
    const tokenizer = data.CharTokenizer.fromText(text);
    const corpus = new data.TextCorpus(text, { blockSize: 16, tokenizer });
    const task = TaskSpecs.causalLm({ vocabSize: tokenizer.vocabSize });
    torch.manualSeed(0);
    const model = new models.GPT({ vocabSize: tokenizer.vocabSize, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 });
    const trainer = new Trainer({ model, task, train: new data.DataLoader(corpus, { batchSize: 4, shuffle: true, seed: 1, collateOptions: { task } }),
      config: { maxSteps: 4, logEveryNSteps: 1, optimizer: { lr: 3e-3 } } });
    await trainer.fit();
    const out = exportBundle(trainer, path.join(dir, 'gpt'), { name: 'Tiny char GPT', limitations: ['Trained on two sentences.'] });
    const manifest = bundle.verifyBundle(out);
    expect(manifest.tokenizer).toEqual({ type: 'char' });
    expect(manifest.model).toEqual({ zoo: 'gpt' });

    const loaded = await loadBundle(out);
    expect(loaded.tokenizer!.vocabSize).toBe(tokenizer.vocabSize);
    expect(loaded.tokenizer!.encode('the cat')).toEqual(tokenizer.encode('the cat'));
    const prompts = ['the cat sat', 'the do'];
    const prediction = loaded.predict(prompts);
    if (prediction.kind !== 'causal_lm') throw new Error(`expected causal_lm, got ${prediction.kind}`);
    expect(prediction.lengths).toEqual([11, 6]);
    model.eval();
    prompts.forEach((prompt, i) => torch.scope(() => {
      const ids = torch.tensor([tokenizer.encode(prompt)], { dtype: 'int64' });
      const logits = torch.noGrad(() => model.forward(ids));
      // Right padding is after every real token: a causal model's real positions are unchanged.
      same(prediction.logits.select(0, i).narrow(0, 0, prompt.length).contiguous(), logits.select(0, 0));
      const last = logits.select(1, -1).select(0, 0);
      expect(prediction.nextTokenIds[i]).toBe(last.argmax().item());
      expect(prediction.nextTokens![i]).toBe(tokenizer.decode([prediction.nextTokenIds[i]]));
      expect(prediction.nextTokenProbabilities[i]).toBeCloseTo(last.softmax(-1).max().item(), 6);
    }));

    if (!py) return;
    const sd = model.stateDict();
    const theirs = await py.run<{ keys: string[]; equal: boolean; tied: boolean }>(`
import torch, safetensors.torch
sd = safetensors.torch.load_file(${JSON.stringify(path.join(out, 'model.safetensors'))})
out = {"keys": sorted(sd.keys()), "equal": all(torch.equal(sd[k], ours[k]) for k in ours), "tied": torch.equal(sd["lm_head.weight"], sd["transformer.wte.weight"])}
`, { ours: sd });
    expect(theirs.keys).toEqual(Object.keys(sd).sort());
    expect(theirs.equal).toBe(true);
    expect(theirs.tied).toBe(true);
  });

  it('from a checkpoint folder: the model description recorded in the checkpoint, weights and metrics as saved', async () => {
    const dir = tmp();
    const ckpt = path.join(dir, 'ckpt');
    const { model, trainer } = await trainedMlp(dir, ckpt);
    const folder = path.join(ckpt, `checkpoint-${trainer.step}`);
    const state = JSON.parse(fs.readFileSync(path.join(folder, 'trainer_state.json'), 'utf8'));
    expect(state.model).toMatchObject({ zoo: 'mlp', config: { inFeatures: 4, hiddenSizes: [16], outFeatures: 3 } });
    const out = exportBundle(folder, path.join(dir, 'from-ckpt'), { history: path.join(dir, 'metrics.jsonl') });
    expect(fs.readFileSync(path.join(out, 'model.safetensors'))).toEqual(fs.readFileSync(path.join(folder, 'model.safetensors')));
    const loaded = await loadBundle(out);
    torch.manualSeed(4);
    const x = torch.keep(torch.randn([3, 4]));
    model.eval();
    const p = loaded.predict(x);
    if (p.kind !== 'classification') throw new Error('expected a classification');
    same(p.logits, torch.noGrad(() => model.forward(x)));
    expect(loaded.metrics.length).toBeGreaterThan(1);
    expect((loaded.training.finalMetrics as Record<string, number>)['val/loss']).toBe(trainer.logs['val/loss']);

    // An older checkpoint (no model description): a clear error saying what to pass, then it works with it.
    const old = path.join(ckpt, 'old');
    fs.cpSync(folder, old, { recursive: true });
    delete state.model;
    fs.writeFileSync(path.join(old, 'trainer_state.json'), JSON.stringify(state));
    // Re-sign the changed file in the manifest, as an older writer would have.
    const manifest = JSON.parse(fs.readFileSync(path.join(old, 'manifest.json'), 'utf8'));
    const { createHash } = await import('node:crypto');
    const bytes = fs.readFileSync(path.join(old, 'trainer_state.json'));
    manifest.files['trainer_state.json'] = { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    const renamed = path.join(ckpt, 'checkpoint-9999');
    manifest.step = 9999;
    fs.writeFileSync(path.join(old, 'manifest.json'), JSON.stringify(manifest));
    fs.renameSync(old, renamed);
    expect(() => exportBundle(renamed, path.join(dir, 'old-bundle'))).toThrow(/does not say how to rebuild the model; pass options.model: \{ zoo, config \}/);
    expect(() => exportBundle(renamed, path.join(dir, 'old-bundle'), { model: { zoo: 'mlp', config: { inFeatures: 4, outFeatures: 3 } } }))
      .toThrow(/weights do not fit the model description \{ zoo: 'mlp' \}[\s\S]*not in the model: layers\.2\.weight[\s\S]*shapes differ: layers\.0\.weight \[16x4\] vs \[3x4\]/);
    const ok = exportBundle(renamed, path.join(dir, 'old-bundle'), { model: { zoo: 'mlp', config: { inFeatures: 4, hiddenSizes: [16], outFeatures: 3 } } });
    expect((await loadBundle(ok)).description).toMatchObject({ zoo: 'mlp' });
  });

  it('a model that is not a zoo class needs a description; bad options are refused by name', async () => {
    const seq = new nn.Sequential(new nn.Linear(4, 3));
    const trainer = new Trainer({ model: seq, task: classTask, train: new data.DataLoader(classification(8, 1), { batchSize: 8 }), config: { maxSteps: 1 } });
    expect(() => exportBundle(trainer, path.join(tmp(), 'b'))).toThrow(/Sequential\) does not say how to rebuild the model; pass options.model/);
    expect(() => exportBundle(trainer, path.join(tmp(), 'b'), { modle: {} } as never)).toThrow(/modle/);
    const dir = tmp();
    expect(() => exportBundle(trainer, dir)).toThrow(/already exists; choose another folder or pass \{ overwrite: true \}/);
  });

  it('a bad bundle is refused naming the file: missing, corrupted, truncated, unfinished, newer format', async () => {
    const dir = tmp();
    const { trainer } = await trainedMlp(dir);
    const good = exportBundle(trainer, path.join(dir, 'good'));
    const copy = (name: string) => {
      const to = path.join(dir, name);
      fs.cpSync(good, to, { recursive: true });
      return to;
    };
    const missing = copy('missing');
    fs.rmSync(path.join(missing, 'task.json'));
    await expect(loadBundle(missing)).rejects.toThrow(/task\.json is missing/);

    const corrupt = copy('corrupt');
    const weights = path.join(corrupt, 'model.safetensors');
    const bytes = fs.readFileSync(weights);
    bytes[bytes.length - 3] ^= 0xff;
    fs.writeFileSync(weights, bytes);
    await expect(loadBundle(corrupt)).rejects.toThrow(/model\.safetensors does not match its SHA-256 in bundle\.json/);

    const truncated = copy('truncated');
    fs.truncateSync(path.join(truncated, 'model.safetensors'), 100);
    await expect(loadBundle(truncated)).rejects.toThrow(/model\.safetensors has 100 bytes, bundle\.json says/);

    const unfinished = copy('unfinished');
    fs.rmSync(path.join(unfinished, 'bundle.json'));
    await expect(loadBundle(unfinished)).rejects.toThrow(/bundle\.json is missing, so the bundle is incomplete/);

    const newer = copy('newer');
    const manifest = JSON.parse(fs.readFileSync(path.join(newer, 'bundle.json'), 'utf8'));
    fs.writeFileSync(path.join(newer, 'bundle.json'), JSON.stringify({ ...manifest, version: 2 }));
    await expect(loadBundle(newer)).rejects.toThrow(/format version 2 is newer than this torchtrain reads \(1\); upgrade with npm install torchtrain@latest/);

    const foreign = copy('foreign');
    fs.writeFileSync(path.join(foreign, 'bundle.json'), JSON.stringify({ format: 'something-else' }));
    await expect(loadBundle(foreign)).rejects.toThrow(/bundle\.json is not a torchtrain bundle manifest/);
    await expect(loadBundle(path.join(dir, 'nowhere'))).rejects.toThrow(/no such folder/);
  });

  it('the model card says what, on what, how long, how well (a final-metrics table), for what, its limits and how to load it', async () => {
    const dir = tmp();
    const { trainer } = await trainedMlp(dir);
    const out = exportBundle(trainer, path.join(dir, 'card'), {
      intendedUse: 'Sorting toy vectors.', limitations: ['Only 64 training rows.'],
      dataProfiles: { train: { sizes: { items: 64 } }, val: { sizes: { items: 32 } } },
    });
    const card = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
    expect(card).toMatch(/^# MLP seq classification/);
    expect(card).toContain('Training data: 64 items');
    expect(card).toContain('Validation data: 32 items');
    expect(card).toContain(`| optimizer steps | ${trainer.step} |`);
    expect(card).toContain('| epochs | 2 |');
    expect(card).toContain('## Final metrics');
    expect(card).toContain('| metric | value |');
    for (const tag of ['val/loss', 'val/accuracy', 'train/loss']) expect(card).toContain(`| ${tag} | ${Number(trainer.logs[tag].toPrecision(4))} |`);
    expect(card).toContain('Sorting toy vectors.');
    expect(card).toContain('- Only 64 training rows.');
    expect(card).toContain("await loadBundle('path/to/bundle')");
    expect(card).toContain('safetensors.torch import load_file');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'data_profile.json'), 'utf8')).train.sizes.items).toBe(64);
  });

  it('a tokenizer that cannot be saved is said so in the manifest and the card', async () => {
    const dir = tmp();
    const { trainer } = await trainedMlp(dir);
    const custom = { vocabSize: 3, encode: (t: string) => [...t].map(() => 0), decode: () => 'a' };
    const out = exportBundle(trainer, path.join(dir, 'custom-tok'), { tokenizer: custom });
    expect(bundle.verifyBundle(out).tokenizer).toMatchObject({ unsaved: expect.stringMatching(/not one torchtrain can save/) });
    expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toContain('No tokenizer is saved');
    const loaded = await loadBundle(out);
    expect(loaded.tokenizer).toBeUndefined();
    expect(() => loaded.predict('text')).toThrow(/texts need a tokenizer, and this bundle has none/);
  });
});
