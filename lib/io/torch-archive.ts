// The zip container of a torch.save file, from bytes: the pickle (data.pkl) and each storage's
// raw bytes, with the records torch 2.x writes, in its order. No Tensor here (this file imports
// nothing that loads the addon), so a worker thread can write an archive whose tensors were
// copied out on the main thread (lib/checkpoint's background writer); io.save uses it too.
import { randomInt } from 'node:crypto';
import nodePath from 'node:path';
import type { FileSink } from './file-io.js';
import { STORAGE_ALIGNMENT, TorchZipWriter } from './zip-writer.js';

/** One storage record: its size and its bytes in order (any split into pieces). */
export interface StorageBytes {
  byteLength: number;
  pieces: Iterable<Uint8Array>;
}

/** torch.save's archive name: the file name without its extension (torch's writer does the same). */
export function archiveName(file: string): string {
  const base = nodePath.basename(file).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]/g, '_');
  return base || 'archive';
}

/**
 * Writes a torch.save archive named `name` into `sink`: `pickle` as <name>/data.pkl (its
 * persistent ids name storages '0', '1', ... in the order of `storages`), each storage as
 * <name>/data/<key>, and torch's version, byteorder, alignment and serialization-id records.
 */
export function writeTorchArchive(sink: FileSink, name: string, pickle: Uint8Array, storages: readonly StorageBytes[]): void {
  const text = (s: string) => Buffer.from(s, 'utf8');
  const zip = new TorchZipWriter(sink);
  const record = (entry: string, bytes: Uint8Array) => zip.add(`${name}/${entry}`, bytes.length, [bytes]);
  record('data.pkl', pickle);
  record('.format_version', text('1'));
  record('.storage_alignment', text(String(STORAGE_ALIGNMENT)));
  record('byteorder', text('little'));
  storages.forEach((s, key) => zip.add(`${name}/data/${key}`, s.byteLength, s.pieces));
  record('version', text('3\n'));
  // torch writes a random 40-digit id that lets tools tell checkpoints apart.
  record('.data/serialization_id', text(Array.from({ length: 40 }, () => randomInt(10)).join('')));
  zip.finish();
}
