// manifest.json: the last file of a checkpoint folder, listing every other file's size and
// SHA-256. No valid manifest, no checkpoint: a folder that a kill left half-written, or whose
// files no longer match (a truncated or damaged file), is never loaded.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const MANIFEST = 'manifest.json';
export const CHECKPOINT_FORMAT = 'torchtrain-checkpoint';

export interface ManifestFile { size: number; sha256: string }

export interface Manifest {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  step: number;
  epoch: number;
  /** ISO time the checkpoint was written. */
  createdAt: string;
  /** Metrics known at save time ('val/loss', 'train/loss', ...). */
  metrics: Record<string, number>;
  files: Record<string, ManifestFile>;
}

/** SHA-256 of a file, read in 4 MiB pieces (checkpoints can be gigabytes). */
export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(4 << 20);
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Describes the files of a folder (all but the manifest) for its manifest. */
export function describeFiles(dir: string, names: readonly string[]): Record<string, ManifestFile> {
  const files: Record<string, ManifestFile> = {};
  for (const name of [...names].sort()) files[name] = { size: fs.statSync(path.join(dir, name)).size, sha256: sha256File(path.join(dir, name)) };
  return files;
}

/**
 * Checks a checkpoint folder against its manifest: null when it is complete and intact, else
 * why not (said so a person can act on it).
 */
export function verifyFolder(dir: string, options: { hashes?: boolean } = {}): { manifest: Manifest | null; problem: string | null } {
  const file = path.join(dir, MANIFEST);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { manifest: null, problem: code === 'ENOENT' ? 'no manifest.json (the write did not finish)' : `manifest.json is unreadable (${(err as Error).message})` };
  }
  if (manifest?.format !== CHECKPOINT_FORMAT || manifest.version !== 1 || typeof manifest.files !== 'object' || manifest.files === null) {
    return { manifest: null, problem: 'manifest.json is not a torchtrain checkpoint manifest (format/version)' };
  }
  for (const [name, expected] of Object.entries(manifest.files)) {
    if (name.includes('/') || name.includes('\\') || name === MANIFEST) return { manifest, problem: `manifest.json lists a bad file name '${name}'` };
    let size: number;
    try {
      size = fs.statSync(path.join(dir, name)).size;
    } catch {
      return { manifest, problem: `${name} is missing` };
    }
    if (size !== expected.size) return { manifest, problem: `${name} has ${size} bytes, the manifest says ${expected.size}` };
    if (options.hashes !== false && sha256File(path.join(dir, name)) !== expected.sha256) return { manifest, problem: `${name} does not match its SHA-256 in the manifest (damaged)` };
  }
  return { manifest, problem: null };
}
