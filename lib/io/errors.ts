// The one error class of lib/io: a weights file that is not what it claims to be. The message
// says which file, where in it (header, tensor name, zip entry, byte offset) and what is wrong,
// so a user can tell a truncated download from a file of another format.
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
