// JSON-lines files: one JSON value per line. JsonlDataset streams the file (constant memory, any
// size); `index()` scans it once for the byte range of every record, giving a map-style dataset
// that reads one line per get(i), so a large file can be shuffled without holding it in memory.
// Blank lines are skipped and do not count as records; '\r\n' endings are accepted.
import { closeSync, createReadStream, fstatSync, openSync, readSync, statSync } from 'node:fs';
import {
  checkIndex, type DatasetSource, type IterableDataset, type MapDataset, MappedIterableDataset, MappedMapDataset, type StreamShard, type Transform,
  type TransformOptions, type WorkerConstructible,
} from './dataset.js';
import { DataError } from './errors.js';
import { startProgress } from '../progress/index.js';

interface RawLine {
  bytes: Buffer;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** 1-based line number in the file. */
  line: number;
}

const NEWLINE = 0x0a;

/** The file's lines as raw bytes (line ending removed), with offsets; blank lines are left out. */
async function* readLines(path: string): AsyncGenerator<RawLine> {
  let carry: Buffer | null = null;
  let carryOffset = 0;
  let offset = 0; // bytes consumed before the current chunk
  let line = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, nl);
      const bytes = carry ? Buffer.concat([carry, piece]) : piece;
      const lineOffset = carry ? carryOffset : offset + start;
      carry = null;
      line++;
      const trimmed = trimLine(bytes);
      if (trimmed.length > 0) yield { bytes: trimmed, offset: lineOffset, line };
      start = nl + 1;
    }
    if (start < chunk.length) {
      if (!carry) carryOffset = offset + start;
      // Copy: the stream may reuse its chunk buffers.
      carry = carry ? Buffer.concat([carry, chunk.subarray(start)]) : Buffer.from(chunk.subarray(start));
    }
    offset += chunk.length;
  }
  if (carry) {
    line++;
    const trimmed = trimLine(carry);
    if (trimmed.length > 0) yield { bytes: trimmed, offset: carryOffset, line };
  }
}

/** Drops a trailing '\r'; returns an empty buffer for a line of only whitespace. */
function trimLine(bytes: Buffer): Buffer {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return bytes.subarray(0, end);
  }
  return bytes.subarray(0, 0);
}

function parseRecord<T>(path: string, bytes: Buffer, where: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (e) {
    const text = bytes.toString('utf8');
    const preview = text.length > 60 ? `${text.slice(0, 57)}...` : text;
    throw new DataError(`${path}: ${where}: invalid JSON (${(e as Error).message}): ${preview}`, { path });
  }
}

/** A JSON-lines file read as a stream of parsed records. */
export class JsonlDataset<T = unknown> implements IterableDataset<T>, WorkerConstructible {
  constructor(readonly path: string) {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('JsonlDataset: give the path of a .jsonl file');
    statSync(path); // a missing file fails here, where the dataset is made, not at the first batch
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for await (const { bytes, offset, line } of readLines(this.path)) {
      yield parseRecord<T>(this.path, bytes, `line ${line} (byte ${offset})`);
    }
  }

  /** The records of one worker's blocks; the others' lines are skipped without being parsed. */
  async *shard({ shard, numShards, blockSize }: StreamShard): AsyncGenerator<T> {
    let record = 0;
    for await (const { bytes, offset, line } of readLines(this.path)) {
      if (Math.floor(record / blockSize) % numShards === shard) yield parseRecord<T>(this.path, bytes, `line ${line} (byte ${offset})`);
      record++;
    }
  }

  /** Scans the file once and returns a map-style view that reads record i by its byte range. */
  async index(): Promise<IndexedJsonlDataset<T>> {
    let ranges = new Float64Array(1024);
    let count = 0;
    // A large file takes a while to scan: progress in MB (quiet under a second).
    const megabytes = Math.ceil(statSync(this.path).size / 1e6);
    const progress = startProgress(`indexing ${this.path}`, { total: megabytes, unit: 'MB' });
    try {
      for await (const { bytes, offset } of readLines(this.path)) {
        if (2 * count + 2 > ranges.length) {
          const grown = new Float64Array(ranges.length * 2);
          grown.set(ranges);
          ranges = grown;
        }
        ranges[2 * count] = offset;
        ranges[2 * count + 1] = offset + bytes.length;
        count++;
        progress.update(Math.floor((offset + bytes.length) / 1e6));
      }
      progress.update(megabytes);
      progress.finish(`${count} records`);
    } finally {
      progress.fail('stopped'); // a no-op after finish()
    }
    return new IndexedJsonlDataset<T>(this.path, ranges.slice(0, 2 * count), statSync(this.path).size);
  }

  /** This stream with `transform` applied to each record as it is read. */
  map<U>(transform: Transform<T, U>, options?: TransformOptions): MappedIterableDataset<T, U> {
    return new MappedIterableDataset(this, transform, options);
  }

  workerSource(): DatasetSource {
    return { module: import.meta.url, export: 'JsonlDataset', args: [this.path] };
  }
}

/** Open files of IndexedJsonlDatasets that were dropped without close(): the GC closes them. */
const unclosedFiles = new FinalizationRegistry<{ fd: number | undefined }>((file) => {
  if (file.fd !== undefined) closeSync(file.fd);
});

/**
 * A JSON-lines file with known record byte ranges (from JsonlDataset.index()): get(i) reads and
 * parses one line. The file stays open between reads; close() (or `using`) releases it, and so
 * does the garbage collector for a dataset dropped open (a sweep of many runs must not run out of
 * file descriptors); a DataLoader's workers close their copies when they stop.
 */
export class IndexedJsonlDataset<T = unknown> implements MapDataset<T>, WorkerConstructible {
  /** The open file, apart from the dataset so the GC can close it (the registry holds this). */
  private readonly file: { fd: number | undefined } = { fd: undefined };

  /** `ranges`: [start, end) byte offsets of each record, flattened; `size`: the file's size when indexed. */
  constructor(readonly path: string, readonly ranges: Float64Array, readonly size: number) {
    if (!(ranges instanceof Float64Array) || ranges.length % 2 !== 0) throw new TypeError('IndexedJsonlDataset: ranges must be a Float64Array of [start, end) pairs');
    unclosedFiles.register(this, this.file, this.file);
  }

  get length(): number {
    return this.ranges.length / 2;
  }

  get(index: number): T {
    checkIndex(index, this.length, 'IndexedJsonlDataset');
    const start = this.ranges[2 * index]!;
    const end = this.ranges[2 * index + 1]!;
    const fd = this.open();
    const bytes = Buffer.allocUnsafe(end - start);
    const got = readSync(fd, bytes, 0, bytes.length, start);
    if (got !== bytes.length) throw new DataError(`${this.path}: record ${index} (bytes ${start}..${end}) reads short (${got} bytes): the file changed since it was indexed; index it again`, { path: this.path, datasetIndex: index });
    return parseRecord<T>(this.path, bytes, `record ${index} (byte ${start})`);
  }

  private open(): number {
    if (this.file.fd === undefined) {
      const fd = openSync(this.path, 'r');
      const size = fstatSync(fd).size;
      if (size !== this.size) {
        closeSync(fd);
        throw new DataError(`${this.path}: the file is ${size} bytes but was ${this.size} when indexed; index it again`, { path: this.path });
      }
      this.file.fd = fd;
    }
    return this.file.fd;
  }

  close(): void {
    if (this.file.fd !== undefined) closeSync(this.file.fd);
    this.file.fd = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Workers get the byte ranges, so they do not scan the file again. */
  /** This dataset with `transform` applied to each record as it is read. */
  map<U>(transform: Transform<T, U>, options?: TransformOptions): MappedMapDataset<T, U> {
    return new MappedMapDataset(this, transform, options);
  }

  workerSource(): DatasetSource {
    return { module: import.meta.url, export: 'IndexedJsonlDataset', args: [this.path, this.ranges, this.size] };
  }
}
