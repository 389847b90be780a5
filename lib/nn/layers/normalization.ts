// BatchNorm1d/2d (running statistics, momentum, eval mode), LayerNorm, GroupNorm and RMSNorm.
import { ones, zeros, tensor } from '../../core/creation.js';
import { noGrad } from '../../core/autograd.js';
import { type Tensor } from '../../core/tensor.js';
import * as F from '../functional.js';
import { LayerInputError, Module } from '../module.js';
import { Parameter } from '../parameter.js';

export interface BatchNormOptions { eps?: number; momentum?: number | null; affine?: boolean; trackRunningStats?: boolean }

abstract class BatchNorm extends Module {
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  declare runningMean: Tensor | null;
  declare runningVar: Tensor | null;
  declare numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;

  protected constructor(readonly numFeatures: number, options: BatchNormOptions, private readonly inputDims: number[]) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const affine = options.affine ?? true, track = options.trackRunningStats ?? true;
    this.registerParameter('weight', affine ? new Parameter(ones([numFeatures])) : null);
    this.registerParameter('bias', affine ? new Parameter(zeros([numFeatures])) : null);
    this.registerBuffer('running_mean', track ? zeros([numFeatures]) : null, { prop: 'runningMean' });
    this.registerBuffer('running_var', track ? ones([numFeatures]) : null, { prop: 'runningVar' });
    this.registerBuffer('num_batches_tracked', track ? tensor(0n) : null, { prop: 'numBatchesTracked' });
  }

  forward(input: Tensor): Tensor {
    if (!this.inputDims.includes(input.ndim)) {
      throw new RangeError(`${this.constructor.name}: expected ${this.inputDims.join('D or ')}D input, got ${input.ndim}D (shape [${input.shape}])`);
    }
    if (this.training) {
      // PyTorch's F.batch_norm check: one value per channel has no variance, and libtorch would
      // write NaN into running_var and train on silently.
      const [n, , ...spatial] = input.shape;
      if (n * spatial.reduce((a, b) => a * b, 1) === 1) {
        throw new LayerInputError(this, `${this.constructor.name}(${this.numFeatures}): expected more than 1 value per channel when training, got input size [${input.shape.join(', ')}] (a batch of ${n}); `
          + 'fix: use batches of 2 or more (a DataLoader with dropLast: true drops a last batch of one), or call model.eval() for single-sample inference');
      }
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked) {
      noGrad(() => this.numBatchesTracked!.add_(1).dispose());
      if (this.momentum === null) factor = 1 / this.numBatchesTracked.item();
    }
    // In training, or without running statistics, normalise by the batch's own statistics.
    const useBatch = this.training || (this.runningMean === null && this.runningVar === null);
    const track = !this.training || this.runningMean !== null;
    return F.batchNorm(input, track ? this.runningMean : null, track ? this.runningVar : null, {
      weight: this.weight, bias: this.bias, training: useBatch, momentum: factor, eps: this.eps,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum ?? 'None'}, affine=${this.weight ? 'True' : 'False'}, track_running_stats=${this.runningMean ? 'True' : 'False'}`;
  }
}

/** Over [N, C] or [N, C, L] inputs. */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, [2, 3]);
  }
}

/** Over [N, C, H, W] inputs. */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, [4]);
  }
}

export class LayerNorm extends Module {
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  readonly normalizedShape: number[];
  readonly eps: number;

  constructor(normalizedShape: number | number[], options: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.registerParameter('weight', affine ? new Parameter(ones(this.normalizedShape)) : null);
    this.registerParameter('bias', affine && options.bias !== false ? new Parameter(zeros(this.normalizedShape)) : null);
  }

  forward(input: Tensor): Tensor {
    return F.layerNorm(input, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')},), eps=${this.eps}, elementwise_affine=${this.weight ? 'True' : 'False'}`;
  }
}

export class GroupNorm extends Module {
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  readonly eps: number;

  constructor(readonly numGroups: number, readonly numChannels: number, options: { eps?: number; affine?: boolean } = {}) {
    super();
    if (numChannels % numGroups !== 0) throw new RangeError(`GroupNorm: num_channels (${numChannels}) must be divisible by num_groups (${numGroups})`);
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.registerParameter('weight', affine ? new Parameter(ones([numChannels])) : null);
    this.registerParameter('bias', affine ? new Parameter(zeros([numChannels])) : null);
  }

  forward(input: Tensor): Tensor {
    return F.groupNorm(input, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight ? 'True' : 'False'}`;
  }
}

/** x / rms(x) * weight; eps defaults to the dtype's machine epsilon, as in torch.nn.RMSNorm. */
export class RMSNorm extends Module {
  declare weight: Parameter | null;
  readonly normalizedShape: number[];

  constructor(normalizedShape: number | number[], readonly options: { eps?: number; elementwiseAffine?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    this.registerParameter('weight', options.elementwiseAffine === false ? null : new Parameter(ones(this.normalizedShape)));
  }

  forward(input: Tensor): Tensor {
    return F.rmsNorm(input, this.normalizedShape, { weight: this.weight, eps: this.options.eps });
  }

  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')},), eps=${this.options.eps ?? 'None'}, elementwise_affine=${this.weight ? 'True' : 'False'}`;
  }
}
