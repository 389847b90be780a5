// What a bundle can describe: zoo models by name and config (models.describeModel / createModel),
// TorchScript modules (the .pt copied in, the trained weights loaded into it), and the tokenizers
// torchtrain can save.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TaskSpecs, Trainer, data, exportBundle, jit, loadBundle, models, nn, torch } from '../../lib/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tt-bundle-'));
process.env.TORCHTRAIN_PROGRESS = '0';

describe('model descriptions', () => {
  it('describeModel gives { zoo, config } for zoo classes only; createModel rebuilds the same layout', () => {
    const gpt = new models.GPT({ vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 });
    const described = models.describeModel(gpt)!;
    expect(described).toEqual({ zoo: 'gpt', config: { vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, dropout: 0, bias: true } });
    const rebuilt = models.createModel(described.zoo, described.config);
    expect(rebuilt).toBeInstanceOf(models.GPT);
    expect(Object.keys(rebuilt.stateDict())).toEqual(Object.keys(gpt.stateDict()));
    expect(models.describeModel(new models.LeNet())).toMatchObject({ zoo: 'lenet', config: { numClasses: 10 } });
    expect(models.describeModel(new nn.Linear(2, 2))).toBeNull();
    class Wider extends models.MLP {}
    expect(models.describeModel(new Wider({ inFeatures: 2, outFeatures: 2 }))).toBeNull();
    expect(() => models.createModel('gtp', {})).toThrow(/unknown zoo model "gtp"; the zoo has mlp, lenet, resnet, gpt, bert, vit, clip/);
    expect(() => models.createModel('mlp', { inFeatures: 2 })).toThrow(/MLP config is invalid/);
  });
});

describe('TorchScript bundles', () => {
  it('copy the .pt in and load the trained weights into it: predict equals the trained module', async () => {
    const file = path.join(here, '../crash/fixtures/mlp-script.pt');
    const model = jit.load(file);
    torch.manualSeed(1);
    const features = torch.keep(torch.randn([32, 4]));
    const labels = torch.keep(features.narrow(1, 0, 2).argmax(-1));
    const task = TaskSpecs.sequenceClassification({ numClasses: 2, modality: 'tabular', fields: { inputs: 'features' } });
    const trainer = new Trainer({ model, task, train: new data.DataLoader(new data.TensorDataset({ features, labels }), { batchSize: 8 }), config: { maxSteps: 3, optimizer: { lr: 0.05 } } });
    await trainer.fit();
    const out = exportBundle(trainer, path.join(tmp(), 'script'));
    expect(JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'))).toEqual({ torchscript: 'model.pt' });
    expect(fs.readFileSync(path.join(out, 'model.pt'))).toEqual(fs.readFileSync(file));
    const loaded = await loadBundle(out);
    model.eval();
    const x = torch.keep(torch.randn([3, 4]));
    const p = loaded.predict(x);
    if (p.kind !== 'classification') throw new Error(`expected a classification, got ${p.kind}`);
    const expected = torch.noGrad(() => model.forward(x) as import('../../lib/index.js').Tensor);
    expect(Array.from(p.logits.data() as Float32Array)).toEqual(Array.from(expected.data() as Float32Array));
  });
});

describe('tokenizers in bundles', () => {
  it('char, byte and BPE tokenizers come back encoding the same ids', async () => {
    const task = TaskSpecs.causalLm({ vocabSize: 256 });
    const text = 'héllo wörld, a byte-level test. '.repeat(4);
    const byte = new data.ByteTokenizer();
    const corpus = new data.TextCorpus(text, { blockSize: 8, tokenizer: byte });
    torch.manualSeed(0);
    const model = new models.GPT({ vocabSize: 256, blockSize: 8, nLayer: 1, nHead: 1, nEmbd: 8 });
    const trainer = new Trainer({ model, task, train: new data.DataLoader(corpus, { batchSize: 2, collateOptions: { task } }), config: { maxSteps: 1 } });
    await trainer.fit();
    const dir = tmp();
    const byteBundle = await loadBundle(exportBundle(trainer, path.join(dir, 'byte')));
    expect(byteBundle.manifest.tokenizer).toEqual({ type: 'byte' });
    expect(byteBundle.tokenizer!.encode('wörld')).toEqual(byte.encode('wörld'));

    const bpe = await data.BpeTokenizer.load('r50k_base');
    const bpeBundle = await loadBundle(exportBundle(trainer, path.join(dir, 'bpe'), { tokenizer: bpe }));
    expect(bpeBundle.manifest.tokenizer).toEqual({ type: 'bpe' });
    expect(bpeBundle.tokenizer!.encode('Hello world')).toEqual(bpe.encode('Hello world'));
  });
});
