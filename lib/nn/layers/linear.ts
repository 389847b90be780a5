// Linear, Identity and Flatten.
import { checkedSize } from '../../core/validation.js';
import { empty } from '../../core/creation.js';
import { type Tensor } from '../../core/tensor.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

/** y = x W^T + b, initialised as torch.nn.Linear (Kaiming-uniform weight, uniform bias). */
export class Linear extends Module {
  declare weight: Parameter;
  declare bias: Parameter | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: { bias?: boolean; dtype?: 'float32' | 'float64' } = {}) {
    super();
    checkedSize(inFeatures, 'nn.Linear', 'inFeatures');
    checkedSize(outFeatures, 'nn.Linear', 'outFeatures');
    const dtype = options.dtype;
    this.registerParameter('weight', new Parameter(empty([outFeatures, inFeatures], { dtype })));
    this.registerParameter('bias', options.bias === false ? null : new Parameter(empty([outFeatures], { dtype })));
    this.resetParameters();
  }

  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }

  forward(input: Tensor): Tensor {
    return F.linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}

/** Flattens dims startDim..endDim (1..-1 by default, keeping the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
