// MaxPool2d, AvgPool2d and AdaptiveAvgPool2d.
import { type Tensor } from '../../core/tensor.js';
import * as F from '../functional.js';
import { Module } from '../module.js';

type Size = number | number[];

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Size, readonly options: { stride?: Size; padding?: Size; dilation?: Size; ceilMode?: boolean } = {}) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.maxPool2d(input, this.kernelSize, this.options);
  }

  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${this.kernelSize}, stride=${o.stride ?? this.kernelSize}, padding=${o.padding ?? 0}, dilation=${o.dilation ?? 1}, ceil_mode=${o.ceilMode ? 'True' : 'False'}`;
  }
}

export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Size, readonly options: { stride?: Size; padding?: Size; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number } = {}) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.avgPool2d(input, this.kernelSize, this.options);
  }

  override extraRepr(): string {
    return `kernel_size=${this.kernelSize}, stride=${this.options.stride ?? this.kernelSize}, padding=${this.options.padding ?? 0}`;
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | (number | null)[]) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.adaptiveAvgPool2d(input, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${Array.isArray(this.outputSize) ? `(${this.outputSize.map((s) => s ?? 'None').join(', ')})` : this.outputSize}`;
  }
}
