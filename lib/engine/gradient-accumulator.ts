// GradientAccumulator: counts micro-batches and loss items within an accumulation window and
// says where the window ends. Losses are summed per micro-batch (not averaged), and at the
// boundary the gradients are divided by the window's total items (OptimizerStep's
// gradDivisor), so k micro-batches give exactly the update of one k-times-larger batch,
// padding included. The epoch's last window may be short: the loop says which micro-batch is
// the epoch's last (it reads one batch ahead), and that window is divided by what it holds.
//
// Item counts may be device tensors (token counts): the window's sum stays on the device.
import { dispose, keep } from '../core/scope.js';
import { type Tensor } from '../core/tensor.js';

export interface AccumulationWindow {
  /** Micro-batches in the window so far (including this one). */
  microBatches: number;
  /**
   * At a boundary: the window's items (tokens not ignored, samples, pairs), a number or a 0-d
   * float64 device tensor. Before it: the items counted on the host so far.
   */
  items: number | Tensor;
  /** Whether this micro-batch ends the window: time to step the optimizer. */
  isBoundary: boolean;
}

export class GradientAccumulator {
  private microBatches = 0;
  private hostItems = 0;
  private deviceItems: Tensor | null = null;

  constructor(readonly steps: number) {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`GradientAccumulator: steps must be a positive integer, got ${steps}`);
  }

  /**
   * Records one micro-batch (after its backward) and the items its summed loss covers. At a
   * boundary the window's items are returned and the window starts over; a returned tensor
   * belongs to the caller's scope.
   */
  add(items: number | Tensor, endsEpoch = false): AccumulationWindow {
    if (typeof items === 'number') {
      if (!(items >= 0)) throw new RangeError(`GradientAccumulator.add: items must be a non-negative number, got ${items}`);
      this.hostItems += items;
    } else {
      const sum = this.deviceItems ? this.deviceItems.add(items) : items.to('float64');
      if (this.deviceItems) dispose(this.deviceItems);
      this.deviceItems = keep(sum);
    }
    this.microBatches += 1;
    const isBoundary = this.microBatches === this.steps || endsEpoch;
    const window: AccumulationWindow = { microBatches: this.microBatches, items: this.hostItems, isBoundary };
    if (!isBoundary) return window;
    if (this.deviceItems) {
      // Hand the device sum to the caller's scope (the window is over).
      window.items = this.hostItems ? this.deviceItems.add(this.hostItems) : this.deviceItems.detach();
    }
    this.reset();
    return window;
  }

  /** Whether the next add() (with the same endsEpoch) ends the window: known before its backward. */
  nextEndsWindow(endsEpoch = false): boolean {
    return this.microBatches + 1 >= this.steps || endsEpoch;
  }

  /** Drops the window in progress (a new epoch, a resumed run). */
  reset(): void {
    this.microBatches = 0;
    this.hostItems = 0;
    if (this.deviceItems) dispose(this.deviceItems);
    this.deviceItems = null;
  }
}
