// The safetensors header (the format Hugging Face's `safetensors` defines): an 8-byte
// little-endian length N, N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets}, and an
// optional "__metadata__": {string: string}}, padded with spaces; then the data buffer, where
// each tensor's bytes lie at [begin, end) relative to the buffer's start, contiguous, with no
// gaps or overlaps. Parsing checks what the reference (Rust) reader checks, with messages that
// say which tensor and field is wrong.
import type { DType } from '../core/dtype.js';
import { itemSize } from '../core/bytes.js';
import { WeightsFileError } from './errors.js';
import { findDuplicateKey } from './json-duplicates.js';

/** The reference reader's cap: a bigger header is refused before it is read. */
export const MAX_HEADER_BYTES = 100_000_000;

const TO_DTYPE: Record<string, DType> = {
  F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};
const FROM_DTYPE = Object.fromEntries(Object.entries(TO_DTYPE).map(([k, v]) => [v, k])) as Record<DType, string>;

export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte range in the data buffer (relative to its start). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** In the header's own order. */
  tensors: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Where the data buffer starts in the file (8 + N). */
  dataStart: number;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The header length N from the file's first 8 bytes, checked against the cap and the file size. */
export function headerLength(prefix: Uint8Array, fileSize: number, file: string): number {
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new WeightsFileError(file, 'header length (bytes 0..8)', `says ${n} bytes, above the ${MAX_HEADER_BYTES}-byte cap safetensors readers allow (not a safetensors file, or corrupt)`);
  }
  if (Number(n) + 8 > fileSize) {
    throw new WeightsFileError(file, 'header length (bytes 0..8)', `says ${n} bytes, but the file has only ${fileSize - 8} after the length (truncated, or not a safetensors file)`);
  }
  if (n < 2n) throw new WeightsFileError(file, 'header length (bytes 0..8)', `says ${n} bytes, too short for a JSON object`);
  return Number(n);
}

/** Parses and validates the header JSON against a data buffer of `dataLength` bytes. */
export function parseHeader(bytes: Uint8Array, dataLength: number, file: string): SafetensorsHeader {
  const where = `header (bytes 8..${8 + bytes.length})`;
  const fail = (problem: string, at = where): never => { throw new WeightsFileError(file, at, problem); };
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    fail('is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`must start with "{" (a JSON object), found ${JSON.stringify(text.slice(0, 16))}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    fail(`is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(json)) return fail('must be a JSON object');
  const dup = findDuplicateKey(text);
  if (dup) fail(dup.parent === null ? `names "${dup.key}" twice` : `tensor "${dup.parent}" has the field "${dup.key}" twice`);

  const metadata: Record<string, string> = {};
  const tensors: SafetensorsEntry[] = [];
  for (const [name, info] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (info === null) continue;
      if (!isPlainObject(info)) fail('"__metadata__" must be an object of strings');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`"__metadata__"."${k}" must be a string, got ${JSON.stringify(v)?.slice(0, 40)}`);
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const at = `tensor "${name}"`;
    if (!isPlainObject(info)) fail('must be an object {dtype, shape, data_offsets}', at);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(`"dtype" must be a string, got ${JSON.stringify(dtype)}`, at);
    const ours = Object.hasOwn(TO_DTYPE, dtype as string) ? TO_DTYPE[dtype as string] : undefined;
    if (!ours) fail(`dtype "${dtype}" is not supported (supported: ${Object.keys(TO_DTYPE).join(', ')})`, at);
    if (!Array.isArray(shape) || !shape.every(isCount)) fail(`"shape" must be a list of non-negative integers, got ${JSON.stringify(shape)?.slice(0, 80)}`, at);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      fail(`"data_offsets" must be [begin, end] of non-negative integers, got ${JSON.stringify(offsets)?.slice(0, 80)}`, at);
    }
    const [begin, end] = offsets as number[];
    if (end < begin) fail(`data_offsets [${begin}, ${end}] end before they begin`, at);
    if (end > dataLength) fail(`data_offsets [${begin}, ${end}] reach past the data buffer's ${dataLength} bytes (truncated file?)`, at);
    // BigInt: a hostile shape's product can exceed 2^53 and wrap a float comparison.
    const numel = (shape as number[]).reduce((n, d) => n * BigInt(d), 1n);
    const expected = numel * BigInt(itemSize(ours!));
    if (expected !== BigInt(end - begin)) {
      fail(`shape [${shape}] of ${dtype} needs ${expected} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`, at);
    }
    tensors.push({ name, dtype: ours!, shape: shape as number[], begin, end });
  }
  // Sorted by position, the tensors must tile the buffer exactly: from 0, no gap, no overlap, to its end.
  const byOffset = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of byOffset) {
    if (t.begin !== cursor) {
      fail(t.begin > cursor
        ? `data_offsets [${t.begin}, ${t.end}] leave a gap: the previous tensor ends at ${cursor}`
        : `data_offsets [${t.begin}, ${t.end}] overlap the previous tensor, which ends at ${cursor}`, `tensor "${t.name}"`);
    }
    cursor = t.end;
  }
  if (cursor !== dataLength) {
    fail(`the tensors cover ${cursor} bytes of data, but the file holds ${dataLength} after the header (truncated or padded file)`);
  }
  return { tensors, metadata, dataStart: 8 + bytes.length };
}

/** The JSON header, space-padded so the data buffer starts at a multiple of 8 (as the reference writer does). */
export function buildHeader(entries: readonly SafetensorsEntry[], metadata: Record<string, string> | undefined): Uint8Array {
  // Written by hand, not JSON.stringify of an object: a tensor named "__proto__" must stay a key.
  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length) {
    parts.push(`"__metadata__":{${Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  for (const e of entries) {
    parts.push(`${JSON.stringify(e.name)}:{"dtype":"${FROM_DTYPE[e.dtype]}","shape":[${e.shape.join(',')}],"data_offsets":[${e.begin},${e.end}]}`);
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Buffer.alloc(Math.ceil(json.length / 8) * 8, 0x20);
  json.copy(padded);
  return padded;
}
