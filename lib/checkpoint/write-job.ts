// One checkpoint write after the step boundary's snapshot: the files into the temporary folder,
// fsync, manifest, rename, `latest`. The same function runs on the background writer's worker
// thread and, where no worker can start, on the caller's thread. Imports nothing that loads the
// addon. Errors cross the thread boundary as plain data and become FileWriteErrors again.
import { FileWriteError } from '../io/errors.js';
import { type FileBytes, writeFileBytes } from './file-bytes.js';
import { abandonCheckpointFolder, finishCheckpointFolder, type FolderInProgress, setLatest } from './folder.js';
import { type Manifest, type ManifestFile } from './manifest.js';

export interface WriteJob {
  id: number;
  folder: FolderInProgress;
  head: Omit<Manifest, 'files' | 'format' | 'version' | 'createdAt'>;
  files: FileBytes[];
}

/** A failed write's error as data: a FileWriteError's parts, or any other error's name, message and stack. */
export interface WriteFailure {
  name: string;
  message: string;
  stack?: string;
  file?: { operation: string; path: string; cause: { code: string; syscall?: string; message: string; errno?: number } };
}

export type WriteReply = { id: number; ok: true; path: string } | { id: number; ok: false; failure: WriteFailure };

/** Writes the checkpoint of `job` and points `latest` at it; returns its folder. */
export function runWriteJob(job: WriteJob): string {
  let written: Record<string, ManifestFile>;
  try {
    written = writeFileBytes(job.folder.temp, job.files);
  } catch (err) {
    throw abandonCheckpointFolder(job.folder, err);
  }
  const final = finishCheckpointFolder(job.folder, job.head, written);
  setLatest(job.folder.root, final);
  return final;
}

export function describeFailure(err: unknown): WriteFailure {
  if (err instanceof FileWriteError) {
    const cause = err.cause as NodeJS.ErrnoException;
    return { name: err.name, message: err.message, stack: err.stack,
      file: { operation: err.operation, path: err.path, cause: { code: err.code, syscall: err.syscall, message: cause?.message ?? err.message, errno: cause?.errno } } };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message, stack: e.stack };
}

/** The error a failure describes (a FileWriteError again where it was one; its folder for the explanation is `root`). */
export function failureError(failure: WriteFailure, root: string): Error {
  if (failure.file) {
    const { operation, path, cause } = failure.file;
    return new FileWriteError(operation, path, Object.assign(new Error(cause.message), cause), root);
  }
  const err = new Error(failure.message);
  err.name = failure.name;
  if (failure.stack) err.stack = failure.stack;
  return err;
}
