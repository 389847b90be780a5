// Positioned reads and atomic writes. Readers never slurp a file: they read a header, then each
// tensor's bytes at its offset, so memory stays bounded by what the file's own sizes justify
// (and a hostile size is checked against the file's length before anything is allocated).
// Writers go to a temporary file in the target's folder, fsync it and rename it over the
// target, so a crash leaves either the old file or the complete new one, never half of one;
// what a killed writer leaves (its temporary file) is removed by the next write to the folder.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileWriteError, isSystemError, WeightsFileError } from './errors.js';

/** fs.readSync moves at most 2 GiB per call (a signed 32-bit count), so big reads are looped. */
const MAX_IO = 1 << 30;

export interface ReadableFile {
  readonly path: string;
  readonly fd: number;
  readonly size: number;
}

/** Opens a file for positioned reads; run `use` and always close it. */
export function withReadableFile<T>(file: string, use: (f: ReadableFile) => T): T {
  const fd = fs.openSync(file, 'r');
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new WeightsFileError(file, '', 'is not a regular file');
    return use({ path: file, fd, size: stat.size });
  } finally {
    fs.closeSync(fd);
  }
}

/** Exactly `length` bytes at `position`; a short file is reported as truncated, naming `what`. */
export function readAt(f: ReadableFile, position: number, length: number, what: string): Buffer {
  if (position < 0 || length < 0 || position + length > f.size) {
    throw new WeightsFileError(f.path, what, `needs bytes ${position}..${position + length} but the file has only ${f.size} bytes (truncated or corrupt)`);
  }
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(f.fd, buf, done, Math.min(length - done, MAX_IO), position + done);
    if (n === 0) throw new WeightsFileError(f.path, what, `the file ended at byte ${position + done} while reading (it shrank while being read?)`);
    done += n;
  }
  return buf;
}

/** Sequential writes that know their position (zip entries record where they start). */
export class FileSink {
  position = 0;
  constructor(private readonly fd: number) {}

  write(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const n = fs.writeSync(this.fd, bytes, done, Math.min(bytes.length - done, MAX_IO), this.position + done);
      done += n;
    }
    this.position += bytes.length;
  }
}

/** Marks a temporary file of writeFileAtomic: `<name>.torchtrain-tmp-<host>-<pid>-<random>`. */
const TEMP_MARK = '.torchtrain-tmp-';
const TEMP_NAME = /\.torchtrain-tmp-([0-9a-f]{8})-(\d+)-[0-9a-f]{8}$/;
/** Which machine wrote a temporary file: a pid means nothing on another host sharing the folder. */
const HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

/** The temporary file a write of `target` goes to first (recognisable; its writer's host and pid in it). */
export function temporaryName(target: string): string {
  return `${path.basename(target)}${TEMP_MARK}${HOST_TAG}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Writes `target` atomically: `fill` writes into a temporary file next to it, which is fsynced
 * and renamed over the target (then the folder is fsynced, so the rename itself is durable).
 * On any error the temporary file is removed and the target is untouched; a system error
 * (missing folder, read-only or full disk) becomes a FileWriteError that names `target` and
 * `operation`, not the temporary file. First, temporary files that killed writers (on this host,
 * whose process is gone) left in the folder are removed.
 */
export function writeFileAtomic(target: string, fill: (sink: FileSink) => void, operation = 'io.write'): void {
  const dir = path.dirname(path.resolve(target));
  removeStaleTemporaries(dir);
  const temp = path.join(dir, temporaryName(target));
  const fd = systemCall(operation, target, dir, () => fs.openSync(temp, 'wx'));
  let closed = false;
  try {
    fill(new FileSink(fd));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    closed = true;
    fs.renameSync(temp, target);
  } catch (err) {
    if (!closed) fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw isSystemError(err) ? new FileWriteError(operation, target, err, dir) : err;
  }
  syncFolder(dir);
}

function systemCall<T>(operation: string, target: string, dir: string, call: () => T): T {
  try {
    return call();
  } catch (err) {
    throw isSystemError(err) ? new FileWriteError(operation, target, err, dir) : err;
  }
}

/**
 * Removes the temporary files of writers that died mid-write (kill -9, OOM killer, preemption):
 * only those written on this host by a process that no longer exists. A live writer's file,
 * this process's own, and another host's are kept. Best effort: a folder that cannot be listed
 * or a file that cannot be removed is left alone (the write itself then reports real problems).
 * Returns the names removed.
 */
export function removeStaleTemporaries(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.includes(TEMP_MARK)) continue;
    const m = TEMP_NAME.exec(name);
    if (!m || m[1] !== HOST_TAG) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || isAlive(pid)) continue;
    try {
      // recursive: a checkpoint's temporary folder has the same kind of name
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // best effort, see above
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by another user. Only "no such process" means dead.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function syncFolder(dir: string): void {
  // Some file systems cannot fsync a folder (EINVAL, EISDIR, EPERM); the file itself is already
  // durable then, only the rename might be lost on power failure, which leaves the old file.
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort, see above
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
