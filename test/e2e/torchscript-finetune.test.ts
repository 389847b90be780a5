// End to end: a model scripted in Python (torch.jit.script of a small CNN, by the reference Python
// the addon was built against) is loaded with jit.load, fine-tuned on real MNIST digits by the
// Trainer (TorchScriptAdapter, AdamW, a OneCycle schedule), saved back with save(), and loaded in
// Python again.
//
// The bounds: the held-out loss falls and the held-out accuracy reaches at least 90% (one epoch
// of 9,500 digits, ~2 s; it reaches about 94%); the file we saved loads in Python's torch.jit.load with
// the same state-dict keys and bit-for-bit the weights we trained, and Python's forward of it on
// held-out digits equals ours (to 1e-5).
import { afterAll, describe, expect, it } from 'vitest';
import { TaskSpecs, Trainer, data, engine, jit, torch } from '../../lib/index.js';
import { imageDataset, mnistSplit } from '../../examples/datasets.js';
import { type PyTensor, TorchPython, compareTensors } from '../helpers/python.js';
import { tempDir } from '../jit/python-models.js';

torch.setNumThreads(1);

const ACCURACY_BOUND = 0.9;

const py = await TorchPython.start();
const tmp = tempDir();
afterAll(() => {
  py?.close();
  tmp.remove();
});

describe.skipIf(!py)('e2e: fine-tuning a TorchScript model from Python', () => {
  it(`trains a Python-scripted CNN on MNIST to ${ACCURACY_BOUND * 100}% and saves weights Python reads back exactly`, async () => {
    const file = `${tmp.dir}/cnn.pt`, trainedFile = `${tmp.dir}/cnn-finetuned.pt`;
    await py!.run(`
torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Conv2d(1, 8, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(8, 16, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Flatten(), torch.nn.Linear(16 * 7 * 7, 10))
torch.jit.script(net).save(file)
out = None`, { file });

    const model = jit.load(file);
    const { train, test } = mnistSplit({ heldOutPerClass: 50, seed: 3 });
    const task = TaskSpecs.imageClassification({ numClasses: 10 });
    const trainer = new Trainer({
      model, task, adapter: new engine.TorchScriptAdapter(),
      train: new data.DataLoader(imageDataset(train), { batchSize: 50, shuffle: true, collateOptions: { task } }),
      val: new data.DataLoader(imageDataset(test), { batchSize: 250, collateOptions: { task } }),
      config: { maxEpochs: 1, device: 'cpu', optimizer: { lr: 3e-3 }, schedule: { name: 'onecycle', warmupRatio: 0.2 } },
    });
    const before = await trainer.validate();
    const result = await trainer.fit();
    const after = result.epochs[0].validation!;
    console.log(`TorchScript CNN on MNIST: held-out loss ${before.loss.toFixed(3)} -> ${after.loss.toFixed(3)}, accuracy ${before.accuracy.toFixed(3)} -> ${after.accuracy.toFixed(3)}`);
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.accuracy).toBeGreaterThanOrEqual(ACCURACY_BOUND);

    model.save(trainedFile);
    const probe = torch.keep(test.images.narrow(0, 0, 64));
    const ref = await py!.run<{ keys: string[]; weights: PyTensor[]; logits: PyTensor }>(`
m = torch.jit.load(trained)
m.eval()
sd = m.state_dict()
with torch.no_grad():
    logits = m(x)
out = {'keys': list(sd.keys()), 'weights': list(sd.values()), 'logits': logits}`, { trained: trainedFile, x: probe });

    const ours = model.stateDict();
    expect(ref.keys).toEqual(Object.keys(ours));
    ref.keys.forEach((k, i) => expect(compareTensors(ours[k]!, ref.weights[i]!), `${k}: the saved file vs our trained weights`).toBeNull());
    model.eval();
    const logits = torch.noGrad(() => model.forward(probe));
    expect(compareTensors(logits, ref.logits, { rtol: 1e-5, atol: 1e-5 }), 'Python\'s forward of the saved file vs ours').toBeNull();
    model.dispose();
  });
});
