// IDX, the file format of MNIST and Fashion-MNIST (yann.lecun.com/exdb/mnist): two zero bytes,
// a type code, the number of dimensions, then one big-endian uint32 size per dimension and the
// elements, big-endian, row-major. Files are often gzipped (train-images-idx3-ubyte.gz): a path
// ending in .gz, or data starting with gzip's magic bytes, is inflated first.
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../io/file-io.js';
import { DataError } from './errors.js';

export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  shape: number[];
  dtype: IdxDType;
  /** Row-major elements in the machine's byte order (the file's big-endian values, swapped). */
  data: IdxData;
}

const TYPES: Record<number, { dtype: IdxDType; size: number }> = {
  0x08: { dtype: 'uint8', size: 1 },
  0x09: { dtype: 'int8', size: 1 },
  0x0b: { dtype: 'int16', size: 2 },
  0x0c: { dtype: 'int32', size: 4 },
  0x0d: { dtype: 'float32', size: 4 },
  0x0e: { dtype: 'float64', size: 8 },
};
const CODES: Record<IdxDType, number> = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e };

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads an IDX file (gzipped or not) into its shape and a typed array of its elements. */
export function readIdx(path: string): IdxArray {
  // A number would be read as a file descriptor (readIdx(0) waits on stdin forever).
  if (typeof path !== 'string') throw new TypeError(`readIdx: path must be a string (a file path), got ${typeof path}`);
  return parseIdx(readFileSync(path), path);
}

/** Parses IDX bytes; `path` only names the source in errors. */
export function parseIdx(raw: Uint8Array, path = '(buffer)'): IdxArray {
  const fail = (problem: string): never => {
    throw new DataError(`${path}: ${problem}`, { path });
  };
  let bytes = raw;
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      fail(`gzip data is corrupt or truncated (${(e as Error).message}); download the file again`);
    }
  } else if (path.endsWith('.gz')) {
    fail('the name ends in .gz but the data is not gzip (no 1f 8b magic bytes); it may be an HTML error page or an already-inflated file: check its first bytes');
  }
  if (bytes.length < 4) fail(`${bytes.length} bytes is too short for an IDX header (4-byte magic number)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(`not an IDX file: the magic number 0x${magic.toString(16).padStart(8, '0')} should start with two zero bytes (IDX magic: 00 00 <type> <ndim>, e.g. 0x00000803 for MNIST images)`);
  }
  const type = TYPES[bytes[2]!];
  if (!type) fail(`unknown element type code 0x${bytes[2]!.toString(16).padStart(2, '0')} in the magic number 0x${magic.toString(16).padStart(8, '0')}; IDX defines 0x08 (uint8), 0x09 (int8), 0x0B (int16), 0x0C (int32), 0x0D (float32), 0x0E (float64)`);
  const { dtype, size } = type!;
  const ndim = bytes[3]!;
  if (ndim === 0) fail('the magic number says 0 dimensions; an IDX file has at least one');
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) fail(`truncated header: ${ndim} dimensions need ${headerBytes} header bytes, the file has ${bytes.length}`);
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * size;
  if (bytes.length < expected) {
    fail(`truncated: shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes (${headerBytes} header + ${count} x ${size}), the file has ${bytes.length} (${((bytes.length - headerBytes) / size) | 0} elements); download it again`);
  }
  if (bytes.length > expected) {
    fail(`${bytes.length - expected} unexpected bytes after the data: shape [${shape.join(', ')}] of ${dtype} needs exactly ${expected} bytes; the sizes in the header may be wrong or files were concatenated`);
  }
  return { shape, dtype, data: decodeElements(view, headerBytes, count, dtype) };
}

function decodeElements(view: DataView, offset: number, count: number, dtype: IdxDType): IdxData {
  switch (dtype) {
    case 'uint8': return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int8': return new Int8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int16': { const out = new Int16Array(count); for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false); return out; }
    case 'int32': { const out = new Int32Array(count); for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false); return out; }
    case 'float32': { const out = new Float32Array(count); for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false); return out; }
    case 'float64': { const out = new Float64Array(count); for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false); return out; }
  }
}

/** Encodes an array as IDX bytes (big-endian); the element type follows the typed array. */
export function encodeIdx(array: { shape: number[]; data: IdxData }): Uint8Array {
  const { shape, data } = array;
  const dtype = idxDTypeOf(data);
  const size = TYPES[CODES[dtype]]!.size;
  if (shape.length === 0 || shape.length > 255) throw new RangeError(`encodeIdx: IDX holds 1 to 255 dimensions; got shape [${shape.join(', ')}]`);
  if (shape.some((s) => !Number.isInteger(s) || s < 0 || s > 0xffffffff)) throw new RangeError(`encodeIdx: sizes must be integers in [0, 2^32); got [${shape.join(', ')}]`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`encodeIdx: shape [${shape.join(', ')}] holds ${count} elements, the data has ${data.length}`);
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + count * size);
  const view = new DataView(out.buffer);
  out[2] = CODES[dtype];
  out[3] = shape.length;
  shape.forEach((s, d) => view.setUint32(4 + 4 * d, s, false));
  for (let i = 0; i < count; i++) {
    const at = header + i * size;
    switch (dtype) {
      case 'uint8': view.setUint8(at, data[i]!); break;
      case 'int8': view.setInt8(at, data[i]!); break;
      case 'int16': view.setInt16(at, data[i]!, false); break;
      case 'int32': view.setInt32(at, data[i]!, false); break;
      case 'float32': view.setFloat32(at, data[i]!, false); break;
      case 'float64': view.setFloat64(at, data[i]!, false); break;
    }
  }
  return out;
}

/**
 * Writes an IDX file, gzipped when the path ends in .gz, atomically (as io's writers: a killed
 * write leaves the old file; a refused one is a FileWriteError naming `path`).
 */
export function writeIdx(path: string, array: { shape: number[]; data: IdxData }): void {
  const bytes = encodeIdx(array);
  const out = path.endsWith('.gz') ? gzipSync(bytes) : bytes;
  writeFileAtomic(path, (sink) => sink.write(out), 'data.writeIdx');
}

function idxDTypeOf(data: IdxData): IdxDType {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  throw new TypeError('encodeIdx: data must be a Uint8Array, Int8Array, Int16Array, Int32Array, Float32Array or Float64Array');
}
