// A small seeded PRNG for shuffling and masking. Math.random cannot be seeded, and libtorch's
// generator is global state a data pipeline must not disturb (it would change the model's
// initialisation and dropout). xoshiro128** uses only 32-bit integer operations (Math.imul,
// shifts), which JavaScript defines exactly, so a seed gives the same stream on every machine.
// It is not PyTorch's generator: the same seed gives a different order than torch.randperm.

let globalSeed: number | undefined;

/**
 * The seed of samplers and loaders given none: the last seedEverything(seed), else the
 * TORCHTRAIN_SEED environment variable (which seedEverything sets, so worker threads and child
 * processes see it), else 0.
 */
export function defaultSeed(): number {
  if (globalSeed !== undefined) return globalSeed;
  const env = process.env.TORCHTRAIN_SEED;
  const parsed = env === undefined || env === '' ? NaN : Number(env);
  return Number.isSafeInteger(parsed) ? parsed : 0;
}

/** Sets defaultSeed() (seedEverything calls it). */
export function setDefaultSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`a seed must be a safe integer; got ${seed}`);
  globalSeed = seed;
  process.env.TORCHTRAIN_SEED = String(seed);
}

function splitmix32(state: number): [number, number] {
  // SplitMix32 spreads a seed into well-mixed words, so seeds 0, 1, 2 give unrelated streams.
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/** Mixes several integers (a seed, an epoch, a rank) into one 32-bit seed. */
export function mixSeeds(...parts: number[]): number {
  let h = 0x2545f491;
  for (const part of parts) {
    if (!Number.isSafeInteger(part)) throw new RangeError(`a seed must be a safe integer; got ${part}`);
    // Both 32-bit halves take part, so seeds above 2^32 do not collide with small ones.
    const lo = part >>> 0;
    const hi = Math.floor(part / 0x100000000) >>> 0;
    for (const word of [lo, hi]) {
      h = Math.imul(h ^ word, 0x9e3779b1);
      h = (h ^ (h >>> 15)) >>> 0;
    }
  }
  return h >>> 0;
}

export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let state = mixSeeds(seed);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, word] = splitmix32(state);
      state = next;
      words.push(word);
    }
    [this.s0, this.s1, this.s2, this.s3] = words as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform on [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** Uniform integer in [0, n), without modulo bias (rejection), n <= 2^32. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) throw new RangeError(`nextInt: n must be an integer in [1, 2^32]; got ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[] | Int32Array | Float64Array): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    this.shuffle(out);
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
