// Data parallelism's gradient all-reduce, as DDP does it: gradients flattened into buckets (25 MiB,
// the first 1 MiB so that communication could start early), filled in reverse parameter order
// (the order backward produces them), one all-reduce per bucket, results written back into .grad.
// This is the primitive only; overlapping it with backward belongs to the Trainer's integration.
import { z } from 'zod';
import { cat } from '../core/functions.js';
import { copyInto } from '../core/in-place.js';
import { scope } from '../core/scope.js';
import { type Tensor } from '../core/tensor.js';
import { parseOrThrow } from '../core/validation.js';
import { allReduce, getWorldSize } from './process-group.js';

const MiB = 1024 * 1024;

export interface AllReduceGradientsOptions {
  /** Bucket capacity in bytes (DDP's bucket_cap_mb: 25 MiB). */
  bucketBytes?: number;
  /** The first bucket's capacity (DDP: 1 MiB). */
  firstBucketBytes?: number;
  /**
   * What the summed gradients are divided by: the world size by default (a mean over ranks, as
   * DDP); give the global item count of the step for a sum of per-item losses divided globally.
   */
  divisor?: number;
}

const optionsSchema = z.strictObject({
  bucketBytes: z.number().int().min(1).optional(),
  firstBucketBytes: z.number().int().min(1).optional(),
  divisor: z.number().positive().finite().optional(),
});

/** A group of gradients reduced together: same dtype and device, in reverse parameter order. */
export interface GradientBucket {
  params: Tensor[];
  bytes: number;
}

/**
 * How allReduceGradients groups these gradients (exported for tests and for the Trainer): every
 * rank computes the same buckets from the same parameter list, so their all-reduces pair up.
 */
export function gradientBuckets(grads: readonly Tensor[], bucketBytes = 25 * MiB, firstBucketBytes = MiB): GradientBucket[] {
  const open = new Map<string, GradientBucket>();
  const done: GradientBucket[] = [];
  let first = true;
  for (let i = grads.length - 1; i >= 0; i--) {
    const g = grads[i];
    const key = `${g.dtype}@${g.device}`;
    const bytes = g.numel() * g.elementSize();
    let bucket = open.get(key);
    const cap = first ? firstBucketBytes : bucketBytes;
    if (bucket && bucket.bytes > 0 && bucket.bytes + bytes > cap) {
      done.push(bucket);
      first = false;
      bucket = undefined;
    }
    if (!bucket) {
      bucket = { params: [], bytes: 0 };
      open.set(key, bucket);
    }
    bucket.params.push(g);
    bucket.bytes += bytes;
  }
  done.push(...open.values());
  return done;
}

/**
 * All-reduces the gradients of `params` across the default group in DDP's buckets and divides them
 * (by the world size unless `divisor` is given), in place in each parameter's .grad. Parameters
 * without a gradient are skipped: every rank must have gradients for the same parameters.
 */
export function allReduceGradients(params: readonly Tensor[], options: AllReduceGradientsOptions = {}): void {
  const o = parseOrThrow(optionsSchema, options, (issues) => new Error(`distributed.allReduceGradients: bad options:\n` +
    issues.map((i) => `  ${i.text}`).join('\n')), { root: '(options)', known: { owner: 'allReduceGradients', keys: ['bucketBytes', 'firstBucketBytes', 'divisor'] } });
  const divisor = o.divisor ?? getWorldSize();
  scope(() => {
    const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
    for (const bucket of gradientBuckets(grads, o.bucketBytes ?? 25 * MiB, o.firstBucketBytes ?? MiB)) {
      if (bucket.params.length === 1) {
        // A bucket of one (a large tensor): reduced where it is, without a flat copy.
        allReduce(bucket.params[0], 'sum');
        if (divisor !== 1) bucket.params[0].div_(divisor);
        continue;
      }
      const flat = cat(bucket.params.map((g) => g.reshape([-1])));
      allReduce(flat, 'sum');
      if (divisor !== 1) flat.div_(divisor);
      let offset = 0;
      for (const g of bucket.params) {
        const n = g.numel();
        copyInto(g, flat.narrow(0, offset, n).view(g.shape));
        offset += n;
      }
    }
  });
}
