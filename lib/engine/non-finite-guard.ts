// NonFiniteGuard: notices updates whose gradients were inf or NaN, warns on the first, and stops
// the run (NonFiniteError) after config.maxConsecutiveNonFinite of them in a row.
//
// Without a GradScaler nothing skips such an update (as in PyTorch), and finding out at once
// would cost a host read per step; so the flags stay on the device — four tiny in-place ops per
// update keep [updates with non-finite gradients, the current run of them, the longest run,
// the first bad step] — and check() reads them with the logs (every logEveryNSteps updates and at
// epoch ends). With a GradScaler the native step already read the flag (skipped): skips are its
// normal way of finding a scale, so only skips at a scale of 1 or less count, where the
// gradients themselves are non-finite rather than the scale too large.
import { tensor } from '../core/creation.js';
import { dispose, keep } from '../core/scope.js';
import { type Tensor } from '../core/tensor.js';
import { where } from '../core/functions.js';

/** The run stopped because its updates kept having inf/NaN gradients (or loss). */
export class NonFiniteError extends Error {
  constructor(message: string, readonly firstStep: number, readonly consecutive: number) {
    super(message);
    this.name = 'NonFiniteError';
  }
}

const FIX = 'fix: lower the learning rate, set maxGradNorm, check the data (and labels) for inf/NaN, or use bf16 instead of fp16; '
  + 'maxConsecutiveNonFinite: 0 turns this stop off';

export class NonFiniteGuard {
  // float64 [bad updates, current run, longest run, first bad step (0: none)]
  private counters: Tensor | null = null;
  private hostRun = 0;
  private hostLongest = 0;
  private hostFirst = 0;
  private hostBad = 0;
  private warned = false;

  constructor(readonly limit: number) {}

  /** One update without a scaler: its found-inf flag (0-d float 0/1 on the device) at `step`. No host read. */
  recordDevice(foundInf: Tensor, step: number): void {
    this.counters ??= keep(tensor([0, 0, 0, 0], { dtype: 'float64', device: foundInf.device }));
    const c = this.counters;
    const bad = foundInf.to('float64');
    const run = c.index(1);
    run.mul_(bad).add_(bad).dispose();                          // run = (run + 1) * bad
    c.index(0).add_(bad).dispose();
    const longest = c.index(2);
    longest.copy_(longest.maximum(run)).dispose();
    const first = c.index(3);
    first.copy_(where(first.eq(0).logicalAnd(bad.gt(0)), step, first)).dispose();
  }

  /** One update under a GradScaler: whether it skipped, and the scale it used. */
  recordSkip(skipped: boolean, scale: number, step: number): void {
    const bad = skipped && scale <= 1;
    this.hostRun = bad ? this.hostRun + 1 : 0;
    this.hostLongest = Math.max(this.hostLongest, this.hostRun);
    if (bad) this.hostBad += 1;
    if (bad && this.hostFirst === 0) this.hostFirst = step;
  }

  /**
   * Reads the flags (with the logs): warns on the first non-finite update, throws NonFiniteError
   * once a run of them reached the limit. `lossFinite`: whether the interval's summed loss was.
   */
  check(step: number, lossFinite: boolean): void {
    let [bad, longest, first] = [this.hostBad, this.hostLongest, this.hostFirst];
    if (this.counters) [bad, , longest, first] = Array.from(this.counters.data() as Float64Array);
    if (bad === 0) return;
    const what = lossFinite ? 'the gradients were inf or NaN' : 'the loss and the gradients were inf or NaN';
    if (!this.warned) {
      this.warned = true;
      process.emitWarning(`step ${first}: ${what} (${bad} update${bad > 1 ? 's' : ''} so far, checked at step ${step}); `
        + `${this.counters ? 'without a GradScaler such updates are applied, so the weights may now be non-finite' : 'the GradScaler skipped them at a scale of 1 or less'}; ${FIX}`, 'TrainerWarning');
    }
    if (this.limit > 0 && longest >= this.limit) {
      throw new NonFiniteError(`training stopped: ${what} in ${longest} consecutive optimizer updates (the first at step ${first}; ${bad} in all by step ${step}), `
        + `at least maxConsecutiveNonFinite (${this.limit}); ${FIX}`, first, longest);
    }
  }

  dispose(): void {
    if (this.counters) dispose(this.counters);
    this.counters = null;
  }
}
