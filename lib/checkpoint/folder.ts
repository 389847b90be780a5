// Checkpoint folders on disk: written into a temporary folder beside the final name, every file
// and the folder fsynced, manifest.json last, then renamed into place; the `latest` pointer is a
// small file replaced atomically. A kill at any moment leaves either the old set of valid
// checkpoints or the old set plus the new one, never a damaged one under a checkpoint's name.
import fs from 'node:fs';
import path from 'node:path';
import { FileWriteError, isSystemError } from '../io/errors.js';
import { removeStaleTemporaries, temporaryName } from '../io/file-io.js';
import { MANIFEST, type Manifest, type ManifestFile, verifyFolder } from './manifest.js';

export const LATEST = 'latest';
const NAME = /^checkpoint-(\d+)$/;

/** The folder name of the checkpoint at an optimizer step. */
export function checkpointName(step: number): string {
  return `checkpoint-${step}`;
}

export function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } catch (err) {
    // Some file systems refuse fsync on folders; the rename is then as durable as they make it.
    if (!isSystemError(err) || (err.code !== 'EINVAL' && err.code !== 'EISDIR')) throw err;
  } finally {
    fs.closeSync(fd);
  }
}

/** Where a checkpoint is being written: its final folder and the temporary one beside it. */
export interface FolderInProgress {
  root: string;
  final: string;
  temp: string;
}

const OPERATION = 'checkpoint save';

/**
 * The first, quick part of writing checkpoint-<step>/ (on the caller's thread, so that a missing,
 * read-only or full disk fails at the step that saves): the root folder is made, temporary
 * folders of dead writers removed, the free space checked against `bytes` (when the file system
 * reports it) and the temporary folder made. Errors are FileWriteErrors naming the checkpoint.
 */
export function beginCheckpointFolder(root: string, step: number, bytes = 0): FolderInProgress {
  const final = path.join(root, checkpointName(step));
  try {
    fs.mkdirSync(root, { recursive: true });
  } catch (err) {
    throw isSystemError(err) ? new FileWriteError(OPERATION, final, err, root) : err;
  }
  removeStaleTemporaries(root);
  checkFreeSpace(root, final, bytes);
  const temp = path.join(root, temporaryName(final));
  try {
    fs.mkdirSync(temp);
  } catch (err) {
    throw isSystemError(err) ? new FileWriteError(OPERATION, final, err, root) : err;
  }
  return { root, final, temp };
}

/**
 * Refuses a write that cannot fit (ENOSPC before anything is written; a background write would
 * only fail later): the files rounded up to whole blocks, plus a few blocks for the folders and
 * the manifest. File systems that report no size (some network and FUSE ones) are not checked.
 */
function checkFreeSpace(root: string, final: string, bytes: number): void {
  if (bytes <= 0) return;
  let stats: fs.StatsFs;
  try {
    stats = fs.statfsSync(root);
  } catch {
    return;
  }
  const block = stats.bsize > 0 ? stats.bsize : 4096;
  if (!(stats.blocks > 0)) return;
  const needed = Math.ceil(bytes / block) * block + 8 * block;
  if (stats.bavail * block >= needed) return;
  const cause = Object.assign(new Error(`ENOSPC: no space left on device: ${needed} bytes needed, ${stats.bavail * block} free`), { code: 'ENOSPC', syscall: 'statfs', path: root });
  throw new FileWriteError(OPERATION, final, cause, root);
}

/**
 * Puts a complete temporary folder (its files fsynced, its manifest last) in place of `final`:
 * an existing `final` is swapped out and removed only after the new one is in, so a crash leaves
 * the old folder or the new one under that name, never a half of either.
 */
export function commitFolder(temp: string, final: string, root: string): void {
  fsyncPath(temp);
  if (fs.existsSync(final)) {
    const old = path.join(root, temporaryName(final));
    fs.renameSync(final, old);
    fs.renameSync(temp, final);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(temp, final);
  }
  fsyncPath(root);
}

/**
 * The rest, once `files` are written into the temporary folder and each fsynced (writeFileBytes,
 * which also hashed them as they were written): the manifest (sizes and SHA-256) last, the folder
 * fsynced and renamed into place. An existing folder of the same step is replaced (after the new
 * one is complete). On failure the temporary folder is removed and the error names the
 * checkpoint. Runs on the background writer's thread too.
 */
export function finishCheckpointFolder(folder: FolderInProgress, head: Omit<Manifest, 'files' | 'format' | 'version' | 'createdAt'>, files: Record<string, ManifestFile>): string {
  const { root, final, temp } = folder;
  try {
    const manifest: Manifest = { format: 'torchtrain-checkpoint', version: 1, ...head, createdAt: new Date().toISOString(), files };
    const manifestFile = path.join(temp, MANIFEST);
    fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
    fsyncPath(manifestFile);
    // Same step saved again (end of fit right after a periodic save): swapped in whole.
    commitFolder(temp, final, root);
  } catch (err) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw isSystemError(err) ? new FileWriteError(OPERATION, final, err, root) : err;
  }
  return final;
}

/** Removes a temporary folder whose write failed before finishCheckpointFolder, turning a system error into one naming the checkpoint. */
export function abandonCheckpointFolder(folder: FolderInProgress, err: unknown): unknown {
  fs.rmSync(folder.temp, { recursive: true, force: true });
  return isSystemError(err) ? new FileWriteError(OPERATION, folder.final, err, folder.root) : err;
}

/** Points `latest` at a checkpoint folder (a file holding its name, replaced atomically). */
export function setLatest(root: string, folder: string): void {
  const pointer = path.join(root, LATEST);
  const temp = path.join(root, temporaryName(pointer));
  try {
    fs.writeFileSync(temp, path.basename(folder) + '\n');
    fsyncPath(temp);
    fs.renameSync(temp, pointer);
    fsyncPath(root);
  } catch (err) {
    // The checkpoint folder itself is complete; `latest` keeps naming the previous one.
    fs.rmSync(temp, { force: true });
    throw isSystemError(err) ? new FileWriteError('checkpoint save (the latest pointer)', pointer, err, root) : err;
  }
}

/** The folder `latest` names, or null (no pointer, or it names nothing there). */
export function readLatest(root: string): string | null {
  try {
    const name = fs.readFileSync(path.join(root, LATEST), 'utf8').trim();
    return NAME.test(name) ? path.join(root, name) : null;
  } catch {
    return null;
  }
}

export interface CheckpointInfo {
  path: string;
  step: number;
  epoch: number;
  valid: boolean;
  /** Why it is not valid (absent when valid). */
  problem?: string;
  metrics: Record<string, number>;
}

/**
 * The checkpoint folders under root, oldest step first, each verified against its manifest
 * (sizes always; SHA-256 too unless hashes: false).
 */
export function list(root: string, options: { hashes?: boolean } = {}): CheckpointInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch (err) {
    if (isSystemError(err) && err.code === 'ENOENT') return [];
    throw err;
  }
  const out: CheckpointInfo[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const dir = path.join(root, name);
    if (!fs.statSync(dir).isDirectory()) continue;
    const { manifest, problem } = verifyFolder(dir, options);
    const info: CheckpointInfo = { path: dir, step: Number(m[1]), epoch: manifest?.epoch ?? -1, valid: problem === null, metrics: manifest?.metrics ?? {} };
    if (problem) info.problem = problem;
    else if (manifest!.step !== info.step) Object.assign(info, { valid: false, problem: `the manifest says step ${manifest!.step}, the folder's name ${info.step}` });
    out.push(info);
  }
  return out.sort((a, b) => a.step - b.step);
}
