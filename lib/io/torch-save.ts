// io.save: a flat state dict in PyTorch's torch.save format, which Python's torch.load reads
// with its default weights_only=True. The archive holds what torch 2.x's torch.save writes:
// <name>/data.pkl (an OrderedDict pickled at protocol 2, each tensor a _rebuild_tensor_v2 call on
// a persistent storage id ('storage', torch.<Type>Storage, key, 'cpu', numel)), the raw storage
// bytes as <name>/data/<key>, and the version, byteorder, .format_version, .storage_alignment
// and .data/serialization_id records, in torch's order.
import { randomInt } from 'node:crypto';
import nodePath from 'node:path';
import type { DType } from '../core/dtype.js';
import { Tensor } from '../core/tensor.js';
import { writeFileAtomic } from './file-io.js';
import { PickleWriter } from './pickle-writer.js';
import { byteLengthOf, tensorPieces } from './tensor-data.js';
import { STORAGE_ALIGNMENT, TorchZipWriter } from './zip-writer.js';

/** What io.save stores per key; numbers that are integers are written as Python ints. */
export type SaveValue = Tensor | number | bigint | string | boolean | null;

export const STORAGE_TYPES: Record<DType, string> = {
  float32: 'FloatStorage', float64: 'DoubleStorage', float16: 'HalfStorage', bfloat16: 'BFloat16Storage',
  int64: 'LongStorage', int32: 'IntStorage', int16: 'ShortStorage', int8: 'CharStorage', uint8: 'ByteStorage', bool: 'BoolStorage',
};

/** Row-major strides, as torch gives a contiguous tensor (a 0-sized dim counts as 1). */
function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= Math.max(shape[i], 1);
  }
  return strides;
}

function intTuple(p: PickleWriter, values: number[]): void {
  if (values.length > 3) p.mark();
  for (const v of values) p.int(v);
  p.tuple(values.length);
}

/** torch.save's archive name: the file name without its extension (torch's writer does the same). */
function archiveName(file: string): string {
  const base = nodePath.basename(file).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]/g, '_');
  return base || 'archive';
}

/**
 * Saves a flat state dict (name -> tensor, or a plain number, string, boolean or null) in
 * torch.save's zip format, atomically. Tensors are written contiguous, on the CPU, each with its
 * own storage (views of one tensor do not stay shared). Key order is kept.
 */
export function save(path: string, values: Record<string, SaveValue>): void {
  const entries = Object.entries(values);
  const tensors: Tensor[] = [];
  const p = new PickleWriter().proto().global('collections', 'OrderedDict').emptyTuple().reduce();
  // Python's pickler batches dict items 1000 per SETITEMS.
  for (let i = 0; i < entries.length; i++) {
    if (i % 1000 === 0) p.mark();
    const [key, v] = entries[i];
    p.str(key);
    if (v instanceof Tensor) {
      if (v.isDisposed) throw new TypeError(`save: values["${key}"] has been disposed`);
      const shape = v.shape;
      const numel = shape.reduce((n, d) => n * d, 1);
      p.global('torch._utils', '_rebuild_tensor_v2').mark();
      p.mark().str('storage').global('torch', STORAGE_TYPES[v.dtype]).str(String(tensors.length)).str('cpu').int(numel).tuple(5).persistentId();
      p.int(0);
      intTuple(p, shape);
      intTuple(p, contiguousStrides(shape));
      p.bool(v.requiresGrad).global('collections', 'OrderedDict').emptyTuple().reduce().tuple(6).reduce();
      tensors.push(v);
    } else if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) p.int(v);
      else p.float(v);
    } else if (typeof v === 'bigint') p.int(v);
    else if (typeof v === 'string') p.str(v);
    else if (typeof v === 'boolean') p.bool(v);
    else if (v === null) p.none();
    else throw new TypeError(`save: values["${key}"] must be a Tensor, number, bigint, string, boolean or null, got ${typeof v}`);
    if (i % 1000 === 999 || i === entries.length - 1) p.setItems();
  }
  const pickle = p.stop().bytes();
  const name = archiveName(path);
  const text = (s: string) => Buffer.from(s, 'utf8');
  const record = (zip: TorchZipWriter, entry: string, bytes: Buffer) => zip.add(`${name}/${entry}`, bytes.length, [bytes]);
  writeFileAtomic(path, (sink) => {
    const zip = new TorchZipWriter(sink);
    record(zip, 'data.pkl', pickle);
    record(zip, '.format_version', text('1'));
    record(zip, '.storage_alignment', text(String(STORAGE_ALIGNMENT)));
    record(zip, 'byteorder', text('little'));
    tensors.forEach((t, key) => zip.add(`${name}/data/${key}`, byteLengthOf(t.dtype, t.shape), tensorPieces(t)));
    record(zip, 'version', text('3\n'));
    // torch writes a random 40-digit id that lets tools tell checkpoints apart.
    record(zip, '.data/serialization_id', text(Array.from({ length: 40 }, () => randomInt(10)).join('')));
    zip.finish();
  }, 'io.save');
}
