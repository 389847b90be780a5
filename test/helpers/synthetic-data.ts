// Small synthetic tasks for the model zoo's training tests: each is learnable in seconds on a
// CPU and has a known answer, so "the loss fell" can be checked against what a working model
// must reach. Data come from a seeded JS generator (not torch's), so a dataset does not shift
// when a model's initialisation draws more or fewer numbers.
import { type Tensor, torch } from '../../lib/index.js';

/** mulberry32: a tiny, good-enough seeded generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const randomInt = (rand: () => number, n: number) => Math.floor(rand() * n);

export const ids = (rows: number[][]) => torch.tensor(rows, { dtype: 'int64' });

/** Two interleaved spiral arms in 2-D (class = arm), with a little noise: not linearly separable. */
export function spiral(perClass: number, seed: number): { x: Tensor; y: Tensor } {
  const rand = seededRandom(seed);
  const points: number[][] = [], labels: number[] = [];
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < perClass; i++) {
      const t = (i / perClass) * 1.75 + 0.25; // radius and turn grow together (1.75 turns)
      const angle = t * 2 * Math.PI + c * Math.PI;
      points.push([t * Math.cos(angle) + (rand() - 0.5) * 0.1, t * Math.sin(angle) + (rand() - 0.5) * 0.1]);
      labels.push(c);
    }
  }
  return { x: torch.tensor(points), y: torch.tensor(labels, { dtype: 'int64' }) };
}

export interface SquareImages { images: Tensor; quadrants: number[]; colours: number[] }

/**
 * Images of faint noise with one bright square (a quarter of the side) somewhere inside one
 * quadrant (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right). With `colours`, the
 * square lights one channel (colour c = channel c); otherwise every channel.
 */
export function squareImages(n: number, o: { channels: number; size: number; seed: number; quadrants?: number[]; colours?: number[] }): SquareImages {
  const rand = seededRandom(o.seed);
  const { channels: ch, size } = o;
  const side = Math.max(2, Math.floor(size / 4)), half = size / 2;
  const data = new Float32Array(n * ch * size * size);
  for (let i = 0; i < data.length; i++) data[i] = rand() * 0.2;
  const quadrants: number[] = [], colours: number[] = [];
  for (let k = 0; k < n; k++) {
    const q = o.quadrants?.[k] ?? randomInt(rand, 4);
    const colour = o.colours?.[k] ?? -1;
    const top = (q >> 1) * half + randomInt(rand, half - side + 1);
    const left = (q & 1) * half + randomInt(rand, half - side + 1);
    for (let c = 0; c < ch; c++) {
      if (colour >= 0 && c !== colour) continue;
      for (let r = top; r < top + side; r++) {
        for (let col = left; col < left + side; col++) data[((k * ch + c) * size + r) * size + col] = 0.8 + rand() * 0.2;
      }
    }
    quadrants.push(q);
    colours.push(colour);
  }
  return { images: torch.tensor(data, { shape: [n, ch, size, size] }), quadrants, colours };
}

/** Character-level encoding of a text over its own sorted alphabet. */
export function charVocab(text: string): { chars: string[]; encode: (s: string) => number[]; decode: (ids: number[]) => string } {
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((ch, i) => [ch, i]));
  return {
    chars,
    encode: (s) => [...s].map((ch) => index.get(ch)!),
    decode: (list) => list.map((i) => chars[i]).join(''),
  };
}
