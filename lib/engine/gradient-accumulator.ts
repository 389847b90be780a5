// GradientAccumulator: counts micro-batches and loss items within an accumulation window and
// says where the window ends. Losses are summed per micro-batch (not averaged), and at the
// boundary the gradients are divided by the window's total items (OptimizerStep's
// gradDivisor), so k micro-batches give exactly the update of one k-times-larger batch,
// padding included. The epoch's last window may be short; it is divided by what it holds.

export interface AccumulationStats {
  /** Micro-batches in the current window so far (including this one). */
  microBatches: number;
  /** Items (tokens not ignored, samples, pairs) in the window so far. */
  items: number;
  /** Whether this micro-batch ends the window: time to step the optimizer. */
  isBoundary: boolean;
  /** Where this micro-batch is in the epoch (0-based). */
  index: number;
}

export class GradientAccumulator {
  private microBatches = 0;
  private items = 0;
  private index = 0;
  private epochLength: number | null = null;

  constructor(readonly steps: number) {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`GradientAccumulator: steps must be a positive integer, got ${steps}`);
  }

  /** Starts an epoch; knowing its micro-batch count lets the last, short window end with it. */
  startEpoch(microBatchesInEpoch?: number): void {
    this.microBatches = 0;
    this.items = 0;
    this.index = 0;
    this.epochLength = microBatchesInEpoch ?? null;
  }

  /** Records one micro-batch (after its backward) and the items its summed loss covers. */
  add(items: number): AccumulationStats {
    if (!(items >= 0)) throw new RangeError(`GradientAccumulator.add: items must be a non-negative number, got ${items}`);
    this.microBatches += 1;
    this.items += items;
    const last = this.epochLength !== null && this.index === this.epochLength - 1;
    const stats = { microBatches: this.microBatches, items: this.items, isBoundary: this.microBatches === this.steps || last, index: this.index };
    this.index += 1;
    if (stats.isBoundary) {
      this.microBatches = 0;
      this.items = 0;
    }
    return stats;
  }

  /** Ends the epoch early (e.g. an iterable dataset ran out): the pending window, if any. */
  flush(): AccumulationStats | null {
    if (this.microBatches === 0) return null;
    const stats = { microBatches: this.microBatches, items: this.items, isBoundary: true, index: this.index - 1 };
    this.microBatches = 0;
    this.items = 0;
    return stats;
  }

  stateDict(): Record<string, number | null> {
    return { steps: this.steps, microBatches: this.microBatches, items: this.items, index: this.index, epochLength: this.epochLength };
  }

  loadStateDict(s: Record<string, number | null>): void {
    this.microBatches = s.microBatches ?? 0;
    this.items = s.items ?? 0;
    this.index = s.index ?? 0;
    this.epochLength = s.epochLength ?? null;
  }
}
