// A checkpoint's files as bytes: what the step boundary copies out of the tensors (a snapshot)
// and a writer (this thread or the background writer's worker thread) puts into the checkpoint's
// temporary folder. Imports nothing that loads the addon: the worker thread runs this file.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FileSink } from '../io/file-io.js';
import { writeTorchArchive } from '../io/torch-archive.js';
import type { ManifestFile } from './manifest.js';

/** A file of raw bytes (safetensors, JSON), or a torch.save archive of a pickle and its storages. */
export type FileBytes =
  | { name: string; kind: 'raw'; chunks: Uint8Array[] }
  | { name: string; kind: 'torch'; archive: string; pickle: Uint8Array; storages: Uint8Array[][] };

const sum = (chunks: readonly Uint8Array[]) => chunks.reduce((n, c) => n + c.byteLength, 0);

/** An upper bound of the bytes a file takes (a torch archive adds at most ~300 bytes per record). */
export function byteEstimate(file: FileBytes): number {
  if (file.kind === 'raw') return sum(file.chunks);
  return file.pickle.byteLength + file.storages.reduce((n, s) => n + sum(s) + 320, 0) + 7 * 320 + 200;
}

/**
 * A FileSink that hashes what it writes: the manifest's SHA-256 comes from the bytes as they go
 * out (all of them, in file order: sinks only append), so the file is not read back to be hashed
 * (that read came from the page cache, so it proved nothing more than this does).
 */
class HashingSink extends FileSink {
  readonly hash = createHash('sha256');

  override write(bytes: Uint8Array): void {
    this.hash.update(bytes);
    super.write(bytes);
  }
}

/**
 * Writes the files into `dir` (a temporary checkpoint folder, so no temporary file each), each
 * fsynced before it is closed; returns their manifest entries (size and SHA-256), by name in order.
 */
export function writeFileBytes(dir: string, files: readonly FileBytes[]): Record<string, ManifestFile> {
  const written: Record<string, ManifestFile> = {};
  for (const file of files) {
    const fd = fs.openSync(path.join(dir, file.name), 'wx');
    try {
      const sink = new HashingSink(fd);
      if (file.kind === 'raw') for (const chunk of file.chunks) sink.write(chunk);
      else writeTorchArchive(sink, file.archive, file.pickle, file.storages.map((pieces) => ({ byteLength: sum(pieces), pieces })));
      fs.fsyncSync(fd);
      written[file.name] = { size: sink.position, sha256: sink.hash.digest('hex') };
    } finally {
      fs.closeSync(fd);
    }
  }
  return Object.fromEntries(Object.keys(written).sort().map((name) => [name, written[name]!]));
}

/** The ArrayBuffers a snapshot owns alone (tensor copies), to move to the worker without a copy. */
export function transferables(files: readonly FileBytes[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const own = (c: Uint8Array) => {
    if (c.buffer instanceof ArrayBuffer && c.byteOffset === 0 && c.byteLength === c.buffer.byteLength && c.byteLength > 0) out.add(c.buffer);
  };
  for (const f of files) {
    if (f.kind === 'raw') f.chunks.forEach(own);
    else f.storages.forEach((s) => s.forEach(own));
  }
  return [...out];
}
