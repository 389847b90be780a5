// What onTrainBatchEnd gets about a micro-batch. Its loss, item count and gradient norm stay on
// the device until a hook reads them (each read is a host sync on CUDA), and are freed once the
// hooks have run: read them inside the hook, not later.
import { keep, dispose } from '../core/scope.js';
import { type Tensor } from '../core/tensor.js';
import { type OptimizerStepResult } from './optimizer-step.js';
import { type OptimizerUpdateInfo, type StepInfo } from './hooks.js';

class OptimizerUpdate implements OptimizerUpdateInfo {
  readonly lr: number[];
  readonly skipped: boolean | null;
  // # fields: invisible to torch.scope's search for returned tensors, released by hand.
  readonly #gradNorm: Tensor | null;
  readonly #scale: (() => number) | null;

  constructor(result: OptimizerStepResult, scale: (() => number) | null) {
    this.lr = result.lr;
    this.skipped = result.skipped;
    this.#gradNorm = result.gradNorm ? keep(result.gradNorm) : null;
    this.#scale = scale;
  }

  get gradNorm(): number | null {
    return this.#gradNorm ? this.#gradNorm.item() : null;
  }

  get scale(): number | null {
    return this.#scale ? this.#scale() : null;
  }

  release(): void {
    if (this.#gradNorm) dispose(this.#gradNorm);
  }
}

/** A batch's summed loss and item count, left on the device until read: the mean loss per item. */
export class DeviceLoss {
  readonly #lossSum: Tensor;
  readonly #items: number | Tensor;

  constructor(lossSum: Tensor, items: number | Tensor) {
    this.#lossSum = keep(lossSum.detach());
    this.#items = typeof items === 'number' ? items : keep(items);
  }

  get items(): number {
    return typeof this.#items === 'number' ? this.#items : this.#items.item();
  }

  get loss(): number {
    const n = this.items;
    return n ? this.#lossSum.item() / n : 0;
  }

  /** Frees the device values once the hooks have seen them. */
  release(): void {
    dispose(this.#lossSum);
    if (typeof this.#items !== 'number') dispose(this.#items);
  }
}

export class TrainStepInfo implements StepInfo {
  readonly step: number;
  readonly epoch: number;
  readonly batchIndex: number;
  readonly optimizerStep?: OptimizerUpdate;
  readonly #loss: DeviceLoss;

  constructor(at: { step: number; epoch: number; batchIndex: number }, lossSum: Tensor, items: number | Tensor,
    update: OptimizerStepResult | null, scale: (() => number) | null) {
    this.step = at.step;
    this.epoch = at.epoch;
    this.batchIndex = at.batchIndex;
    this.#loss = new DeviceLoss(lossSum, items);
    if (update) this.optimizerStep = new OptimizerUpdate(update, scale);
  }

  get items(): number {
    return this.#loss.items;
  }

  get loss(): number {
    return this.#loss.loss;
  }

  release(): void {
    this.#loss.release();
    this.optimizerStep?.release();
  }
}
