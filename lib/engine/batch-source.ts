// Where batches come from, and who frees them.
import { dispose } from '../core/scope.js';
import { Tensor } from '../core/tensor.js';
import { type Batch } from '../loss/types.js';

/**
 * Batches to train on: a DataLoader, or any (async) iterable of batches. A source whose
 * `yieldsFreshBatches` is true (the DataLoader) makes new tensors for every batch, and the loops
 * dispose them after use; other sources' tensors are left alone (they may be reused).
 */
export type BatchSource = (AsyncIterable<Batch> | Iterable<Batch>) & {
  length?: number;
  setEpoch?(epoch: number): void;
  yieldsFreshBatches?: boolean;
  /** Makes the next iteration start at batch n without reading the ones before (false: not supported). */
  skipBatches?(n: number): boolean;
};

/** Frees a batch after its step when its source made it for that step alone. */
export function releaseBatch(source: BatchSource, batch: Batch): void {
  if (source.yieldsFreshBatches) dispose(batch);
}

/** Moves a batch's tensors to the device (a no-op on CPU). */
export function toDevice(batch: Batch, device: string): Batch {
  if (device === 'cpu') return batch;
  const out: Batch = {};
  for (const [k, v] of Object.entries(batch)) out[k] = v instanceof Tensor ? v.to(device) : v;
  return out;
}

/** Rows of a batch: the first dimension of its first tensor field. */
export function batchRows(batch: Batch): number {
  for (const v of Object.values(batch)) if (v instanceof Tensor) return v.dim() > 0 ? v.shape[0] : 1;
  return 0;
}

/** An iterator over a sync or async iterable, and its next() without a promise for sync ones. */
export function openIterator<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> | Iterator<T> {
  const asyncOpen = (source as AsyncIterable<T>)[Symbol.asyncIterator];
  if (typeof asyncOpen === 'function') return asyncOpen.call(source);
  const syncOpen = (source as Iterable<T>)[Symbol.iterator];
  if (typeof syncOpen === 'function') return syncOpen.call(source);
  throw new TypeError('the training data must be an iterable or async iterable of batches (a DataLoader, an array, a generator)');
}

/**
 * Reads one batch ahead, so the loop knows whether the batch in hand is the epoch's last (and
 * its accumulation window must end with it) without knowing the source's length. A sync source
 * costs no promise per batch.
 */
export class LookaheadIterator {
  private readonly it: AsyncIterator<Batch> | Iterator<Batch>;
  private pending: IteratorResult<Batch> | null = null;
  private finished = false;

  constructor(source: BatchSource) {
    this.it = openIterator(source);
  }

  private pull(): IteratorResult<Batch> | Promise<IteratorResult<Batch>> {
    return this.it.next();
  }

  /** The next batch and whether another follows it; null when the source is exhausted. */
  next(): { batch: Batch; last: boolean } | null | Promise<{ batch: Batch; last: boolean } | null> {
    const current = this.pending ?? this.pull();
    if (current instanceof Promise) return current.then((c) => this.advance(c));
    return this.advance(current);
  }

  private advance(current: IteratorResult<Batch>): { batch: Batch; last: boolean } | null | Promise<{ batch: Batch; last: boolean } | null> {
    if (current.done) {
      this.finished = true;
      this.pending = null;
      return null;
    }
    const following = this.pull();
    const settle = (f: IteratorResult<Batch>) => {
      this.pending = f;
      if (f.done) this.finished = true;
      return { batch: current.value, last: !!f.done };
    };
    return following instanceof Promise ? following.then(settle) : settle(following);
  }

  /** Stops early: frees the batch read ahead and lets the source clean up (a DataLoader stops its workers). */
  async close(source: BatchSource): Promise<void> {
    if (this.pending && !this.pending.done) releaseBatch(source, this.pending.value);
    this.pending = null;
    if (!this.finished) await this.it.return?.();
    this.finished = true;
  }
}
