// Activation and dropout modules.
import { type DType } from '../../core/dtype.js';
import { type Tensor } from '../../core/tensor.js';
import * as F from '../functional.js';
import { Module } from '../module.js';

export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return input.relu();
  }
}

export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.gelu(input, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class SiLU extends Module {
  forward(input: Tensor): Tensor {
    return input.silu();
  }
}

export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return input.tanh();
  }
}

export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return input.sigmoid();
  }
}

export class Softmax extends Module {
  constructor(readonly dim: number, readonly options: { dtype?: DType } = {}) {
    super();
  }

  forward(input: Tensor): Tensor {
    return input.softmax(this.dim, this.options);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** Zeroes elements with probability p in training mode (scaling the rest by 1/(1-p)); identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  }

  forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}
