// The fuzzer's seeded generator and the random arguments it draws: numbers (NaN, ±Infinity, -0,
// fractions, huge), bigints (2n**64n), strings (dtype and device names, paths inside the temp
// folder, junk), nested arrays, typed arrays, null/undefined, functions, objects with the option
// names the API uses, tensors of every dtype and shape (0-size, non-contiguous, disposed), and
// objects the fuzz already made (modules, optimizers, datasets, ...). Everything is a pure
// function of the seed, so a seed reproduces the same calls.
import { Tensor, nn, torch } from '../../lib/index.js';

/** xoshiro128** seeded by SplitMix32: 32-bit integer arithmetic, the same on every machine. */
export class Rng {
  private s: Uint32Array;
  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s = new Uint32Array([next(), next(), next(), next()]);
  }
  u32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11);
    return result;
  }
  /** In [0, 1). */
  float(): number { return this.u32() / 2 ** 32; }
  /** An integer in [0, n). */
  int(n: number): number { return Math.floor(this.float() * n); }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]; }
  chance(p: number): boolean { return this.float() < p; }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export const DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'] as const;

// Numbers that break naive code. Sizes above 2^48 elements are refused by contract; the smaller
// "huge" ones (2^31, 2^32, 2^40) reach the allocator, which the child's address-space limit turns
// into an OutOfMemoryError instead of a machine that swaps.
const SPECIAL_NUMBERS = [0, -0, 1, -1, 2, 3, 0.5, -0.5, 1.5, 2.5, 1e-300, -1e-7, NaN, Infinity, -Infinity,
  2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 48 + 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, -(2 ** 63), -(2 ** 31), 1e300, Number.MAX_VALUE,
  Number.MIN_VALUE, Number.EPSILON, -3, -100, 1000];
const SPECIAL_BIGINTS = [0n, 1n, -1n, 2n, 3n, 2n ** 31n, 2n ** 63n - 1n, 2n ** 63n, -(2n ** 63n), -(2n ** 63n) - 1n, 2n ** 64n, 2n ** 64n + 2n, 10n ** 30n];
const WORDS = ['', 'x', 'a.b', 'weight', 'bias', 'float32', 'int64', 'bool', 'float128', 'cpu', 'cuda', 'cuda:0', 'cuda:99', 'gpu', 'meta',
  'sum', 'mean', 'none', 'min', 'max', 'tanh', 'gelu', 'relu', 'linear', 'constant', 'cosine', 'loss', 'val/loss', 'train/loss',
  'labels', 'input_ids', 'attention_mask', 'pixel_values', 'features', 'logits', 'causal_lm', 'masked_lm', 'regression',
  'sequence_classification', 'image_classification', 'multilabel_classification', 'token_classification', 'contrastive',
  'r50k_base', 'cl100k_base', 'reflect', 'replicate', 'circular', '__proto__', 'constructor', 'toString', '0', '-1', '1e400', 'NaN',
  '...', ':', '::', '1:x', '::-1', '0:2', 'aten::add', 'aten::zeros', 'add.Tensor', 'é', '\u0000', '\ud800', 'x'.repeat(300),
  'file.safetensors', 'file.pt', 'file.jsonl', 'file.idx', 'missing.pt', '.'];
const OPTION_KEYS = ['dtype', 'device', 'requiresGrad', 'bias', 'lr', 'betas', 'eps', 'weightDecay', 'momentum', 'nesterov', 'dim', 'keepdim',
  'batchSize', 'shuffle', 'seed', 'dropLast', 'numWorkers', 'prefetch', 'maxEpochs', 'maxSteps', 'strict', 'reduction', 'ignoreIndex',
  'padTokenId', 'vocabSize', 'nEmbd', 'nLayer', 'nHead', 'blockSize', 'hiddenSize', 'numClasses', 'type', 'fields', 'name', 'options',
  'task', 'model', 'train', 'val', 'config', 'callbacks', 'schedule', 'maxLr', 'totalSteps', 'warmupSteps', 'stride', 'padding',
  'kernelSize', 'dilation', 'groups', 'p', 'training', 'approximate', 'temperature', 'shift', 'labelSmoothing', 'weight', 'pos',
  'inputs', 'labels', 'module', 'export', 'args', 'numSamples', 'replacement', 'rank', 'worldSize', 'tokenizer', 'stride',
  'precision', 'gradientClip', 'accumulateGradBatches', 'logEveryNSteps', '__proto__', 'constructor', 'then'];

/** Where the fuzz may read and write: the child's temp folder and the files prepared in it. */
export interface Sandbox {
  dir: string;
  files: string[];
}

export class ValueMaker {
  /** Objects the fuzz made or got back (modules, optimizers, iterators, tensors it kept). */
  readonly pool: object[] = [];
  private readonly poolLimit = 160;

  /**
   * @param isApiObject whether an object belongs to torchtrain (an instance of an exported class),
   *   so the pool holds the API's objects, not Node's (a stream the API was handed, say).
   */
  constructor(readonly rng: Rng, readonly sandbox: Sandbox, private readonly isApiObject: (o: object) => boolean = () => true) {}

  number(): number {
    const r = this.rng;
    const k = r.int(10);
    if (k < 5) return r.range(-2, 8);
    if (k < 8) return r.pick(SPECIAL_NUMBERS);
    if (k < 9) return (r.float() - 0.5) * 10;
    return r.range(0, 64);
  }

  /** Small non-negative integers mostly: shapes, dims, counts. */
  size(): number {
    return this.rng.chance(0.9) ? this.rng.range(0, 5) : this.number();
  }

  bigint(): bigint {
    return this.rng.chance(0.6) ? this.rng.pick(SPECIAL_BIGINTS) : BigInt(this.rng.range(-5, 10));
  }

  string(): string {
    const r = this.rng;
    if (r.chance(0.1) && this.sandbox.files.length) return r.pick(this.sandbox.files);
    if (r.chance(0.05)) return this.sandbox.dir;
    return r.pick(WORDS);
  }

  shape(): number[] {
    const n = this.rng.pick([0, 1, 1, 2, 2, 3, 4]);
    return Array.from({ length: n }, () => this.rng.pick([0, 1, 1, 2, 3, 4]));
  }

  /** A small tensor of a random dtype and shape: sometimes 0-size, non-contiguous, needing grad, or disposed. */
  tensor(): Tensor {
    const r = this.rng;
    const pooled = this.pool.filter((o) => o instanceof Tensor) as Tensor[];
    if (pooled.length && r.chance(0.25)) return r.pick(pooled);
    const dtype = r.chance(0.5) ? 'float32' : r.pick(DTYPES);
    const shape = this.shape();
    let t: Tensor;
    try {
      const kind = r.int(4);
      if (kind === 0) t = torch.zeros(shape, { dtype });
      else if (kind === 1) t = torch.ones(shape, { dtype });
      else if (kind === 2 || dtype === 'bool') t = torch.randint(-3, 4, shape, { dtype: dtype === 'bool' ? 'int64' : dtype }).to(dtype);
      else t = torch.randn(shape).mul(r.pick([1, 100, 1e30])).to(dtype);
      if (r.chance(0.1) && shape.length >= 2) t = t.transpose(0, 1);
      if (r.chance(0.1) && t.dtype.startsWith('float')) {
        t = t.clone();
        t.requiresGrad = true;
      }
    } catch (err) {
      throw new Error(`the fuzz's own tensor maker failed (${dtype} ${JSON.stringify(shape)}): ${(err as Error).message}`);
    }
    if (r.chance(0.06)) t.dispose();
    return t;
  }

  typedArray(): ArrayBufferView {
    const n = this.rng.range(0, 8);
    const kinds = [Float32Array, Float64Array, Int32Array, Int16Array, Int8Array, Uint8Array, Uint16Array, Uint32Array, Uint8ClampedArray];
    if (this.rng.chance(0.15)) return BigInt64Array.from({ length: n }, () => BigInt.asIntN(64, this.bigint()));
    const Kind = this.rng.pick(kinds);
    const a = new Kind(n);
    for (let i = 0; i < n; i++) a[i] = this.number();
    return this.rng.chance(0.1) && n > 2 ? a.subarray(1) : a;
  }

  array(depth: number): unknown[] {
    const n = this.rng.pick([0, 1, 2, 2, 3, 4, 6]);
    const kind = this.rng.int(4);
    // Homogeneous rows most of the time (so they get past type checks), ragged or mixed sometimes.
    if (kind === 0) return Array.from({ length: n }, () => this.number());
    if (kind === 1 && depth < 3) {
      const inner = this.rng.range(0, 3);
      return Array.from({ length: n }, () => Array.from({ length: this.rng.chance(0.9) ? inner : inner + 1 }, () => this.number()));
    }
    if (kind === 2) return Array.from({ length: n }, () => this.tensor());
    return Array.from({ length: n }, () => this.value(depth + 1));
  }

  object(depth: number): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    const n = this.rng.range(0, 4);
    for (let i = 0; i < n; i++) {
      const key = this.rng.pick(OPTION_KEYS);
      if (key === '__proto__') Object.defineProperty(o, key, { value: this.value(depth + 1), enumerable: true, configurable: true });
      else o[key] = this.value(depth + 1);
    }
    return o;
  }

  func(): (...args: unknown[]) => unknown {
    const r = this.rng;
    const k = r.int(6);
    const x = k === 3 ? this.tensor() : undefined;
    if (k === 0) return () => undefined;
    if (k === 1) return (...a: unknown[]) => a[0];
    if (k === 2) return () => { throw new Error('thrown by a fuzz callback'); };
    if (k === 3) return () => x;
    if (k === 4) return async () => 1;
    return () => 0;
  }

  fromPool(): unknown {
    return this.pool.length ? this.rng.pick(this.pool) : undefined;
  }

  /** Any value at all. */
  value(depth = 0): unknown {
    const r = this.rng;
    const k = r.int(100);
    if (k < 18) return this.number();
    if (k < 30) return this.tensor();
    if (k < 38) return this.string();
    if (k < 46) return depth < 3 ? this.array(depth) : [];
    if (k < 53) return depth < 3 ? this.object(depth) : {};
    if (k < 59) return this.shape();
    if (k < 65) return r.pick([undefined, null]);
    if (k < 70) return r.chance(0.5);
    if (k < 75) return this.bigint();
    if (k < 79) return this.typedArray();
    if (k < 82) return this.func();
    if (k < 95) return this.fromPool() ?? this.tensor();
    if (k < 97) return Symbol('fuzz');
    if (k < 98) return new Map([['a', 1]]);
    if (k < 99) return Object.create(null);
    return new ArrayBuffer(r.range(0, 16));
  }

  args(): unknown[] {
    const n = this.rng.pick([0, 1, 1, 2, 2, 2, 3, 3, 4, 5]);
    return Array.from({ length: n }, () => this.value());
  }

  /** Keeps an object the fuzz made, so later calls use it; a tensor pushed out is disposed. */
  keep(value: unknown): void {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
    if (typeof value === 'function') return;
    if (value instanceof Promise) return;
    const iterator = typeof (value as { next?: unknown }).next === 'function';
    if (!(value instanceof Tensor) && !iterator && !this.isApiObject(value as object)) return;
    if (value instanceof Tensor) torch.keep(value);
    if (this.pool.includes(value as object)) return;
    if (this.pool.length >= this.poolLimit) {
      const [out] = this.pool.splice(this.rng.int(this.pool.length), 1);
      if (out instanceof Tensor && !(out instanceof nn.Parameter)) out.dispose();
    }
    this.pool.push(value as object);
  }
}

/** A short, readable description of a value for the report of a failing call. */
export function describeValue(v: unknown, depth = 0): string {
  if (v instanceof Tensor) {
    if (v.isDisposed) return 'Tensor(<disposed>)';
    try {
      return `Tensor(${v.dtype}, [${v.shape.join(', ')}]${v.isContiguous() ? '' : ', non-contiguous'}${v.requiresGrad ? ', requiresGrad' : ''})`;
    } catch {
      return 'Tensor(<unreadable>)';
    }
  }
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...(${v.length})` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'function') return v.name && /^[A-Z]/.test(v.name) ? `class ${v.name}` : `function ${v.name || '(anonymous)'}`;
  if (typeof v === 'symbol' || v === undefined || v === null || typeof v === 'boolean') return String(v);
  if (depth > 2) return '…';
  if (Array.isArray(v)) return `[${v.slice(0, 8).map((x) => describeValue(x, depth + 1)).join(', ')}${v.length > 8 ? ', …' : ''}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length ?? v.byteLength})`;
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength})`;
  const proto = Object.getPrototypeOf(v);
  if (proto && proto !== Object.prototype) return `<${proto.constructor?.name ?? 'object'}>`;
  const entries = Object.entries(v as object).slice(0, 6).map(([k, x]) => `${k}: ${describeValue(x, depth + 1)}`);
  return `{ ${entries.join(', ')} }`;
}
