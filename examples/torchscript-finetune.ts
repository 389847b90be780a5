// Fine-tuning a TorchScript model: a CNN defined and scripted in Python (torch.jit.script), loaded
// here with jit.load as a trainable nn.Module, fine-tuned on MNIST digits by the Trainer, saved
// back with save(), and loaded again by Python, which checks that it predicts what we predict.
// About 20 s on two cores.
//   npx tsx examples/torchscript-finetune.ts                  # scripts the model with Python
//   npx tsx examples/torchscript-finetune.ts --model cnn.pt   # or fine-tunes your own scripted model
//
// Python runs in a child process: the interpreter the addon was built against (torch.info()
// .referencePython), or TORCHTRAIN_PYTHON. Without one, export a model yourself, in Python:
//   torch.jit.script(model).save('cnn.pt')     # a [B, 1, 28, 28] -> [B, 10] classifier
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TaskSpecs, Trainer, data, engine, io, jit, torch } from '../lib/index.js';
import { imageDataset, mnistSplit } from './datasets.js';

const { values: args } = parseArgs({ options: { model: { type: 'string' } } });
const python = process.env.TORCHTRAIN_PYTHON || torch.info().referencePython;
const dir = mkdtempSync(path.join(tmpdir(), 'torchtrain-torchscript-'));

function runPython(code: string, ...argv: string[]): string {
  const r = spawnSync(python!, ['-c', code, ...argv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${python} failed:\n${r.stderr || r.error}`);
  return r.stdout.trim();
}

let file = args.model;
if (!file) {
  if (!python) {
    console.error('No Python with torch was found (set TORCHTRAIN_PYTHON). Export a model in Python with\n'
      + '  torch.jit.script(model).save("cnn.pt")\nand run: npx tsx examples/torchscript-finetune.ts --model cnn.pt');
    process.exit(1);
  }
  file = path.join(dir, 'cnn.pt');
  runPython(`
import sys, torch
torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Conv2d(1, 8, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(8, 16, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Flatten(), torch.nn.Linear(16 * 7 * 7, 10))
torch.jit.script(net).save(sys.argv[1])`, file);
  console.log(`scripted a CNN in Python (${python}) to ${file}`);
}

const model = jit.load(file);
console.log(`loaded with jit.load: ${model.numParameters().toLocaleString()} parameters, state dict ${Object.keys(model.stateDict()).join(', ')}`);

const { train, test } = mnistSplit({ heldOutPerClass: 100 });
const task = TaskSpecs.imageClassification({ numClasses: 10 });
const trainer = new Trainer({
  model, task, adapter: new engine.TorchScriptAdapter(),
  train: new data.DataLoader(imageDataset(train), { batchSize: 64, shuffle: true, collateOptions: { task } }),
  val: new data.DataLoader(imageDataset(test), { batchSize: 500, collateOptions: { task } }),
  callbacks: [new engine.ProgressBar({ logEvery: 50 })],
  config: { maxEpochs: 2, optimizer: { lr: 3e-3 }, schedule: { name: 'onecycle', warmupRatio: 0.2 } },
});
const before = await trainer.validate();
await trainer.fit();
const after = await trainer.validate();
console.log(`\nheld-out accuracy: ${(before.accuracy! * 100).toFixed(1)}% -> ${(after.accuracy! * 100).toFixed(2)}% (loss ${before.loss!.toFixed(3)} -> ${after.loss!.toFixed(3)})`);

const trained = file.replace(/\.pt$/, '') + '-finetuned.pt';
model.save(trained);
console.log(`saved the fine-tuned module to ${trained}`);

if (python) {
  // Python loads our file and classifies a few held-out digits (handed over as a torch.save file).
  const digits = path.join(dir, 'digits.pt');
  const images = test.images.narrow(0, 0, 20);
  io.save(digits, { images });
  const theirs = JSON.parse(runPython(`
import json, sys, torch
m = torch.jit.load(sys.argv[1]).eval()
x = torch.load(sys.argv[2])['images']
with torch.no_grad():
    print(json.dumps(m(x).argmax(1).tolist()))`, trained, digits)) as number[];
  model.eval();
  const ours = torch.noGrad(() => Array.from(model.forward(images).argmax(1).data() as BigInt64Array, Number));
  const agree = ours.every((p, i) => p === theirs[i]);
  console.log(`Python's torch.jit.load of it predicts ${JSON.stringify(theirs)} for 20 held-out digits: ${agree ? 'the same as ours' : `OURS DIFFER: ${JSON.stringify(ours)}`}`);
  console.log(`(true labels:                                ${JSON.stringify(test.labels.slice(0, 20))})`);
}
