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

export class TrainStepInfo implements StepInfo {
  readonly step: number;
  readonly epoch: number;
  readonly batchIndex: number;
  readonly optimizerStep?: OptimizerUpdate;
  readonly #lossSum: Tensor;
  readonly #items: number | Tensor;

  constructor(at: { step: number; epoch: number; batchIndex: number }, lossSum: Tensor, items: number | Tensor,
    update: OptimizerStepResult | null, scale: (() => number) | null) {
    this.step = at.step;
    this.epoch = at.epoch;
    this.batchIndex = at.batchIndex;
    this.#lossSum = keep(lossSum.detach());
    this.#items = typeof items === 'number' ? items : keep(items);
    if (update) this.optimizerStep = new OptimizerUpdate(update, scale);
  }

  get items(): number {
    return typeof this.#items === 'number' ? this.#items : this.#items.item();
  }

  get loss(): number {
    const items = this.items;
    return items ? this.#lossSum.item() / items : 0;
  }

  /** Frees the device values once the hooks have seen them. */
  release(): void {
    dispose(this.#lossSum);
    if (typeof this.#items !== 'number') dispose(this.#items);
    this.optimizerStep?.release();
  }
}
