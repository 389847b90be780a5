// End to end: the general-purpose vision models trained by the Trainer on synthetic colour images
// (3x32x32, CIFAR's shape; no CIFAR-like data set ships through the registries here). Each image
// is faint noise with one bright square in one of three colours (channels) somewhere inside one of
// the four quadrants; its class is colour x quadrant (12 classes), so a model must see both where
// and which channel, and the squares move within their quadrant, so memorising pixels fails.
//
// The bound: at least 95% accuracy on 600 new images (chance: 1/12) for ResNetMini (BatchNorm,
// so train/eval modes matter) after 6 epochs of 2,000 images and for ViTMini after 12 (both reach
// 99-100%, ~15 s together).
import { describe, expect, it } from 'vitest';
import { TaskSpecs, type Tensor, Trainer, data, models, nn, torch } from '../../lib/index.js';
import { seededRandom, squareImages } from '../helpers/synthetic-data.js';

torch.setNumThreads(1);

const BOUND = 0.95;

function colouredSquares(n: number, seed: number): { images: Tensor; labels: number[] } {
  const rand = seededRandom(seed + 100);
  const colours = Array.from({ length: n }, () => Math.floor(rand() * 3));
  const s = squareImages(n, { channels: 3, size: 32, seed, colours });
  return { images: torch.keep(s.images), labels: s.quadrants.map((q, i) => colours[i]! * 4 + q) };
}

const asDataset = (d: { images: Tensor; labels: number[] }) => ({ length: d.labels.length, get: (i: number) => ({ pixel_values: d.images.index(i), labels: d.labels[i]! }) });
const train = colouredSquares(2000, 1);
const test = colouredSquares(600, 2);
const task = TaskSpecs.imageClassification({ numClasses: 12 });

async function fit(name: string, model: nn.Module, epochs: number): Promise<number> {
  const trainer = new Trainer({
    model, task,
    train: new data.DataLoader(asDataset(train), { batchSize: 32, shuffle: true, collateOptions: { task } }),
    val: new data.DataLoader(asDataset(test), { batchSize: 200, collateOptions: { task } }),
    config: { maxEpochs: epochs, device: 'cpu', optimizer: { lr: 3e-3 } },
  });
  const started = performance.now();
  const result = await trainer.fit();
  const accuracies = result.epochs.map((e) => e.validation!.accuracy);
  console.log(`${name} on coloured squares: accuracy by epoch ${accuracies.map((a) => a.toFixed(3)).join(' ')} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  expect(model.training).toBe(true); // validation put it back in training mode
  return accuracies.at(-1)!;
}

describe('e2e: vision models on synthetic 3x32x32 images', () => {
  it(`ResNetMini reaches ${BOUND * 100}% on new images`, async () => {
    torch.manualSeed(0);
    expect(await fit('ResNetMini', new models.ResNetMini({ numClasses: 12, widths: [8, 16, 32] }), 6)).toBeGreaterThanOrEqual(BOUND);
  });

  it(`ViTMini reaches ${BOUND * 100}% on new images`, async () => {
    torch.manualSeed(0);
    expect(await fit('ViTMini', new models.ViTMini({ numClasses: 12, patchSize: 8, dim: 48, depth: 2, heads: 4, mlpDim: 96 }), 12)).toBeGreaterThanOrEqual(BOUND);
  });
});
