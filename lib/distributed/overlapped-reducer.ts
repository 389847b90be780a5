// Gradient all-reduce overlapped with backward, as DDP's Reducer: the buckets of gradientBuckets()
// (25 MiB, the first 1 MiB, reverse parameter order, so the last layers' gradients, which backward
// makes first, start communicating first) are fixed once over the parameters that require grad;
// native hooks on their gradient accumulators start each bucket's all-reduce (a sum) as soon as
// its gradients are ready, buckets in order on every rank. arm() goes before the backward of an
// accumulation window's last micro-batch (the others make no collective: DDP's no_sync), finalize()
// after it: it starts what backward left (a parameter without a gradient contributes zeros and then
// holds the reduced gradient, so every rank steps the same parameters), waits, and writes the sums
// into .grad. Division (by the window's global item count) stays the caller's.
import { processGroup } from '../core/process-group.js';
import { type Tensor } from '../core/tensor.js';
import { gradientBuckets } from './gradient-buckets.js';

const MiB = 1024 * 1024;

export class OverlappedGradientReducer {
  private attached = true;

  private constructor(readonly bucketCount: number) {}

  /** Hooks the parameters of `params` that require grad; replaces the group's previous reducer. */
  static attach(params: readonly Tensor[], bucketBytes = 25 * MiB, firstBucketBytes = MiB): OverlappedGradientReducer {
    const trainable = params.filter((p) => p.requiresGrad);
    const buckets = gradientBuckets(trainable, bucketBytes, firstBucketBytes).map((b) => b.params);
    return new OverlappedGradientReducer(processGroup.reducer.attach(buckets));
  }

  /** Before the backward whose gradients end the window. */
  arm(): void {
    this.check();
    processGroup.reducer.arm();
  }

  /** After that backward: every bucket summed across ranks, in .grad. Returns how many buckets started during backward. */
  finalize(): number {
    this.check();
    return processGroup.reducer.finalize();
  }

  detach(): void {
    if (this.attached) processGroup.reducer.detach();
    this.attached = false;
  }

  private check(): void {
    if (!this.attached) throw new Error('distributed: this gradient reducer was detached');
  }
}
