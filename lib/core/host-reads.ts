// A debug counter of host reads: every copy of tensor values into JavaScript (item(), data(),
// tolist(), toString(), toBytes, equal/allclose, a dispatcher op returning a Scalar) adds one.
// On CUDA each is a device synchronisation, so a training step that should keep its losses on
// the device can be checked with it (DESIGN.md section 1). A plain increment: no measurable cost.
let reads = 0;

/** @internal called by every lib/core path that copies tensor values to JavaScript. */
export function noteHostRead(): void {
  reads++;
}

/** How many times tensor values have been read into JavaScript in this thread (monotonic). */
export function hostReads(): number {
  return reads;
}
