// The error classes every libtorch failure becomes (DESIGN.md section 3). Index errors become
// RangeError and wrong argument kinds TypeError, both raised by the native boundary directly.

/** A libtorch operation failed. `op` names the binding, `detail` holds libtorch's whole message. */
export class TorchError extends Error {
  op?: string;
  detail?: string;
  cppStack?: string;
  constructor(message: string) {
    super(message);
    this.name = 'TorchError';
  }
}

/** libtorch could not allocate memory (host or device). */
export class OutOfMemoryError extends TorchError {
  constructor(message: string) {
    super(message);
    this.name = 'OutOfMemoryError';
  }
}
