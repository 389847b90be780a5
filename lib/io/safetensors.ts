// safetensors files (Hugging Face's weight format): save, load, and header-only inspection.
// Layout and validation rules live in safetensors-header.ts; this file moves the bytes.
import { Tensor } from '../core/tensor.js';
import { WeightsFileError } from './errors.js';
import { type ReadableFile, readAt, withReadableFile, writeFileAtomic } from './file-io.js';
import { type SafetensorsEntry, type SafetensorsHeader, buildHeader, headerLength, parseHeader } from './safetensors-header.js';
import { byteLengthOf, readTensor, tensorPieces } from './tensor-data.js';

export type { SafetensorsEntry, SafetensorsHeader } from './safetensors-header.js';

/**
 * The layout of a safetensors file of `tensors`: `head` (the 8-byte length and the header) and
 * the tensors in the order their bytes follow it. Tensors are laid out widest element first, so
 * every tensor's bytes are aligned to its element size (as Hugging Face's writer does); the
 * header lists them in the order given. Checks names, tensors and metadata; touches no file.
 * The file is `head`, then each tensor's bytes (tensorPieces) in `order`: saveSafetensors writes
 * it at once, lib/checkpoint copies the bytes now and writes them on a worker thread.
 */
export function planSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): { head: Uint8Array; order: [string, Tensor][] } {
  const named = Object.entries(tensors);
  for (const [name, t] of named) {
    if (!(t instanceof Tensor)) throw new TypeError(`saveSafetensors: tensors["${name}"] must be a Tensor, got ${typeof t}`);
    if (name === '__metadata__') throw new TypeError('saveSafetensors: "__metadata__" is reserved for the metadata; rename that tensor');
    if (t.isDisposed) throw new TypeError(`saveSafetensors: tensors["${name}"] has been disposed`);
  }
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== 'string') throw new TypeError(`saveSafetensors: metadata["${k}"] must be a string (safetensors metadata maps strings to strings), got ${typeof v}`);
  }
  const entries: SafetensorsEntry[] = named.map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, begin: 0, end: 0 }));
  const order = entries.map((_, i) => i).sort((a, b) => named[b][1].elementSize() - named[a][1].elementSize() || a - b);
  let cursor = 0;
  for (const i of order) {
    entries[i].begin = cursor;
    cursor += byteLengthOf(entries[i].dtype, entries[i].shape);
    entries[i].end = cursor;
  }
  const header = buildHeader(entries, metadata);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  return { head: Buffer.concat([prefix, header]), order: order.map((i) => named[i]) };
}

/**
 * Writes `tensors` (any device, any layout: stored contiguous, row-major, little-endian) and
 * optional string `metadata` as a safetensors file, atomically (layout: planSafetensors).
 */
export function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  const { head, order } = planSafetensors(tensors, metadata);
  writeFileAtomic(path, (sink) => {
    sink.write(head);
    for (const [, t] of order) for (const piece of tensorPieces(t)) sink.write(piece);
  }, 'io.saveSafetensors');
}

function readHeader(f: ReadableFile): SafetensorsHeader {
  if (f.size < 8) throw new WeightsFileError(f.path, '', `has ${f.size} bytes, fewer than the 8-byte header length of a safetensors file (truncated, or not safetensors)`);
  const n = headerLength(readAt(f, 0, 8, 'header length'), f.size, f.path);
  return parseHeader(readAt(f, 8, n, 'header'), f.size - 8 - n, f.path);
}

/** The header only (names, dtypes, shapes, offsets, metadata), validated, without reading tensor data. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  return withReadableFile(path, readHeader);
}

/** Tensors and metadata of a safetensors file, on the CPU, in the header's order. */
export function loadSafetensorsWithMetadata(path: string): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  return withReadableFile(path, (f) => {
    const header = readHeader(f);
    const loaded: [string, Tensor][] = [];
    try {
      for (const e of header.tensors) {
        const start = header.dataStart + e.begin;
        const read = (offset: number, length: number) => readAt(f, start + offset, length, `tensor "${e.name}"`);
        loaded.push([e.name, readTensor(read, e.end - e.begin, e.dtype, e.shape)]);
      }
    } catch (err) {
      for (const [, t] of loaded) t.dispose();
      throw err;
    }
    // fromEntries defines properties, so a tensor named "__proto__" stays an ordinary key.
    return { tensors: Object.fromEntries(loaded), metadata: header.metadata };
  });
}

/** The tensors of a safetensors file, on the CPU, in the header's order. */
export function loadSafetensors(path: string): Record<string, Tensor> {
  return loadSafetensorsWithMetadata(path).tensors;
}
