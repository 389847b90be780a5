// Conv1d, Conv2d and ConvTranspose2d, with torch.nn's defaults and initialisation.
import { checkedSize } from '../../core/validation.js';
import { empty } from '../../core/creation.js';
import { type Tensor } from '../../core/tensor.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

type Size = number | number[];
export interface ConvOptions { stride?: Size; padding?: Size | 'same' | 'valid'; dilation?: Size; groups?: number; bias?: boolean }

const tuple = (v: Size, n: number): number[] => (typeof v === 'number' ? new Array(n).fill(v) : v);

abstract class ConvNd extends Module {
  declare weight: Parameter;
  declare bias: Parameter | null;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;

  protected constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Size, dims: number,
    options: ConvOptions, transposed: boolean) {
    super();
    checkedSize(inChannels, this.constructor.name, 'inChannels');
    checkedSize(outChannels, this.constructor.name, 'outChannels');
    this.kernelSize = tuple(kernelSize, dims);
    this.stride = tuple(options.stride ?? 1, dims);
    this.padding = typeof options.padding === 'string' ? options.padding : tuple(options.padding ?? 0, dims);
    this.dilation = tuple(options.dilation ?? 1, dims);
    this.groups = options.groups ?? 1;
    if (inChannels % this.groups || outChannels % this.groups) throw new RangeError(`${this.constructor.name}: in_channels (${inChannels}) and out_channels (${outChannels}) must be divisible by groups (${this.groups})`);
    const shape = transposed ? [inChannels, outChannels / this.groups, ...this.kernelSize] : [outChannels, inChannels / this.groups, ...this.kernelSize];
    this.registerParameter('weight', new Parameter(empty(shape)));
    this.registerParameter('bias', options.bias === false ? null : new Parameter(empty([outChannels])));
    this.resetParameters();
  }

  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) init.uniform_(this.bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
    }
  }

  override extraRepr(): string {
    const t = (v: number[]) => `(${v.join(', ')}${v.length === 1 ? ',' : ''})`;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${t(this.kernelSize)}, stride=${t(this.stride)}`;
    if (this.padding !== 'valid' && (typeof this.padding === 'string' || this.padding.some((p) => p !== 0))) s += `, padding=${typeof this.padding === 'string' ? `${this.padding}` : t(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${t(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}

export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, options: ConvOptions = {}) {
    super(inChannels, outChannels, kernelSize, 1, options, false);
  }

  forward(input: Tensor): Tensor {
    return F.conv1d(input, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, options: ConvOptions = {}) {
    super(inChannels, outChannels, kernelSize, 2, options, false);
  }

  forward(input: Tensor): Tensor {
    return F.conv2d(input, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

export class ConvTranspose2d extends ConvNd {
  readonly outputPadding: number[];

  constructor(inChannels: number, outChannels: number, kernelSize: Size, options: Omit<ConvOptions, 'padding'> & { padding?: Size; outputPadding?: Size } = {}) {
    super(inChannels, outChannels, kernelSize, 2, options, true);
    this.outputPadding = tuple(options.outputPadding ?? 0, 2);
  }

  forward(input: Tensor): Tensor {
    return F.convTranspose2d(input, this.weight, this.bias, {
      stride: this.stride, padding: this.padding as number[], outputPadding: this.outputPadding, groups: this.groups, dilation: this.dilation,
    });
  }
}
