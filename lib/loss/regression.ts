// Regression: MSE, L1, Huber and smooth L1 between predictions and targets. A sample's loss is
// the mean over its outputs, summed over samples, so the summed loss over numItems = samples
// equals F.mse_loss (and the others) with reduction 'mean', for one output or several.
import { z } from 'zod';
import { type Tensor } from '../core/tensor.js';
import { torch } from '../core/torch.js';
import * as F from '../nn/functional.js';
import { type TaskSpec } from '../task/spec.js';
import { describeShape, itemCount, LossInputError, outputTensor, requiredLabels, upcast } from './inputs.js';
import { parseLossOptions } from './options.js';
import { type Batch, type LossResult, type LossStrategy, type ModelOutput } from './types.js';

/** The model's predictions: output.logits, or output.predictions for models that name them so. */
function predictions(loss: string, output: ModelOutput): Tensor {
  return upcast(outputTensor(loss, output, output.logits === undefined && output.predictions !== undefined ? 'predictions' : 'logits', '[batch] or [batch, outputs]'));
}

abstract class RegressionLoss implements LossStrategy {
  abstract readonly name: string;
  readonly usesWholeBatch = false;
  protected abstract summed(input: Tensor, target: Tensor): Tensor;

  computeLoss(output: ModelOutput, batch: Batch, task: TaskSpec): LossResult {
    return torch.scope(() => {
      const pred = predictions(this.name, output);
      if (pred.ndim === 0) throw new LossInputError(this.name, `predictions must have a batch dimension, [batch] or [batch, outputs]; got ${describeShape(pred)}`);
      const labels = requiredLabels(this.name, batch, task, `[${pred.shape.join(', ')}] targets`);
      // Targets [N] against predictions [N, 1] (or the reverse) would broadcast to [N, N] and
      // train on every pair: reshape when the counts agree, refuse when they do not.
      if (labels.numel() !== pred.numel()) {
        throw new LossInputError(this.name, `targets ${describeShape(labels)} do not match predictions ${describeShape(pred)}; fix: give one target per predicted value`);
      }
      const target = labels.reshape(...pred.shape).to(pred.dtype);
      const samples = pred.shape[0];
      const perSample = samples === 0 ? 1 : pred.numel() / samples;
      return { loss: this.summed(pred, target).div(perSample), numItems: itemCount(this.name, task, { samples }) };
    }, `loss:${this.name}`);
  }
}

const none = z.object({});
const huberOptions = z.object({ delta: z.number().positive().default(1) });
const smoothL1Options = z.object({ beta: z.number().nonnegative().default(1) });

/** Mean squared error. */
export class MSELoss extends RegressionLoss {
  readonly name = 'mse';
  constructor(options: unknown = {}) {
    super();
    parseLossOptions(this.name, none, options);
  }
  protected summed(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: 'sum' });
  }
}

/** Mean absolute error. */
export class L1Loss extends RegressionLoss {
  readonly name = 'l1';
  constructor(options: unknown = {}) {
    super();
    parseLossOptions(this.name, none, options);
  }
  protected summed(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, { reduction: 'sum' });
  }
}

/** Huber: quadratic within delta of the target, linear (slope delta) beyond. */
export class HuberLoss extends RegressionLoss {
  readonly name = 'huber';
  readonly options: z.output<typeof huberOptions>;
  constructor(options: unknown = {}) {
    super();
    this.options = parseLossOptions(this.name, huberOptions, options);
  }
  protected summed(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, { delta: this.options.delta, reduction: 'sum' });
  }
}

/** Smooth L1 (Huber divided by beta): quadratic within beta, linear with slope 1 beyond. */
export class SmoothL1Loss extends RegressionLoss {
  readonly name = 'smooth_l1';
  readonly options: z.output<typeof smoothL1Options>;
  constructor(options: unknown = {}) {
    super();
    this.options = parseLossOptions(this.name, smoothL1Options, options);
  }
  protected summed(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, { beta: this.options.beta, reduction: 'sum' });
  }
}
