// The error classes of lib/io. WeightsFileError: a weights file that is not what it claims to be;
// the message says which file, where in it (header, tensor name, zip entry, byte offset) and what
// is wrong, so a user can tell a truncated download from a file of another format.
// FileWriteError: the system refused a write (missing folder, read-only file system, full disk);
// it names the path the caller gave (never the hidden temporary file), the operation and the fix,
// and keeps the system error as `code` and `cause`.
export class WeightsFileError extends Error {
  constructor(
    /** The file being read or written. */
    readonly path: string,
    /** Where in the file: 'header', 'tensor "w"', 'data.pkl at byte 31', ... */
    readonly where: string,
    /** What is wrong, and where it helps, how to fix it. */
    readonly problem: string,
  ) {
    super(`${path}: ${where ? `${where}: ` : ''}${problem}`);
    this.name = 'WeightsFileError';
  }
}

/** A write the operating system refused, e.g. "io.saveSafetensors: cannot write /ro/x.safetensors: the folder is read-only (EROFS); write elsewhere". */
export class FileWriteError extends Error {
  /** The system error code ('ENOENT', 'EROFS', 'ENOSPC', ...). */
  readonly code: string;
  /** The system call that failed (open, write, fsync, rename). */
  readonly syscall: string | undefined;

  constructor(
    /** What was being done: 'io.saveSafetensors', 'io.save', 'data.writeIdx'. */
    readonly operation: string,
    /** The file the caller asked to write. */
    readonly path: string,
    cause: SystemError,
    folder: string,
  ) {
    const code = cause.code ?? 'EIO';
    super(`${operation}: cannot write ${path}: ${explainWriteFailure(code, folder, cause)}`, { cause });
    this.name = 'FileWriteError';
    this.code = code;
    this.syscall = cause.syscall;
  }
}

/** A system error as fs throws it (Node's ErrnoException), typed without Node's types for the .d.ts. */
export interface SystemError extends Error {
  code?: string;
  errno?: number;
  path?: string;
  syscall?: string;
}

/** Is this a system error (as fs throws), rather than a bug or a validation error? */
export function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as SystemError).code === 'string' && typeof (e as SystemError).syscall === 'string';
}

function explainWriteFailure(code: string, folder: string, cause: SystemError): string {
  switch (code) {
    case 'ENOENT': return `the folder ${folder} does not exist (ENOENT); create it first (fs.mkdirSync(folder, { recursive: true })) or fix the path`;
    case 'ENOTDIR': return `a part of ${folder} is a file, not a folder (ENOTDIR); fix the path`;
    case 'EROFS': return `the folder ${folder} is on a read-only file system (EROFS); write elsewhere`;
    case 'EACCES':
    case 'EPERM': return `permission denied in the folder ${folder} (${code}); write where this user may, or change the folder's permissions`;
    case 'ENOSPC': return `the disk holding ${folder} is full (ENOSPC); free space or write elsewhere (an existing file there is untouched)`;
    case 'EDQUOT': return `the disk quota for ${folder} is exhausted (EDQUOT); free space or write elsewhere (an existing file there is untouched)`;
    case 'EFBIG': return `the file is larger than the file system holding ${folder} allows (EFBIG); write to another file system`;
    case 'EISDIR': return `the path is a folder (EISDIR); give a file name inside it`;
    case 'EMFILE':
    case 'ENFILE': return `too many open files (${code}); close files (loaders, datasets) or raise the limit (ulimit -n)`;
    case 'ENAMETOOLONG': return `the file name is too long (ENAMETOOLONG); use a shorter name`;
    case 'EIO': return `the device reported an I/O error (EIO); check the disk`;
    default: return `${cause.syscall ?? 'the write'} failed with ${code} (${cause.message})`;
  }
}
