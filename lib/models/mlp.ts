// A multi-layer perceptron: Linear -> activation (-> Dropout) per hidden size, then a Linear
// to the outputs. The layers live in one nn.Sequential named `layers`, so the state dict reads
// as a Python nn.Sequential MLP would: layers.0.weight, layers.0.bias, layers.2.weight, ...
import { z } from 'zod';
import { type Tensor } from '../core/tensor.js';
import { Module } from '../nn/module.js';
import { Dropout, GELU, ReLU, Tanh } from '../nn/layers/activation.js';
import { Sequential } from '../nn/layers/container.js';
import { Linear } from '../nn/layers/linear.js';
import { parseConfig, positiveInt, probability } from './config.js';
import { requireTensor } from './inputs.js';

export interface MLPConfig {
  /** Size of each input vector (the last dim of forward's input). */
  inFeatures: number;
  /** Width of each hidden layer, in order. Default [] (a single Linear: logistic/linear regression). */
  hiddenSizes?: number[];
  /** Size of each output vector. */
  outFeatures: number;
  /** Nonlinearity after each hidden Linear. Default 'relu'. */
  activation?: 'relu' | 'gelu' | 'tanh';
  /** Dropout probability after each hidden activation (none at 0). Default 0. */
  dropout?: number;
  /** Whether the Linear layers have biases. Default true. */
  bias?: boolean;
}

const schema = z.strictObject({
  inFeatures: positiveInt(),
  hiddenSizes: z.array(positiveInt()).default([]),
  outFeatures: positiveInt(),
  activation: z.enum(['relu', 'gelu', 'tanh']).default('relu'),
  dropout: probability().default(0),
  bias: z.boolean().default(true),
});

export type ResolvedMLPConfig = z.output<typeof schema>;

const ACTIVATIONS = { relu: () => new ReLU(), gelu: () => new GELU(), tanh: () => new Tanh() };

export class MLP extends Module {
  declare layers: Sequential;
  /** The config with every default filled in. */
  readonly config: ResolvedMLPConfig;

  constructor(config: MLPConfig) {
    super();
    const c = parseConfig('MLP', schema, config);
    this.config = c;
    const layers: Module[] = [];
    let width = c.inFeatures;
    for (const hidden of c.hiddenSizes) {
      layers.push(new Linear(width, hidden, { bias: c.bias }), ACTIVATIONS[c.activation]());
      // A Dropout of p = 0 would still appear in repr and summary; leave it out instead.
      if (c.dropout > 0) layers.push(new Dropout(c.dropout));
      width = hidden;
    }
    layers.push(new Linear(width, c.outFeatures, { bias: c.bias }));
    this.layers = new Sequential(...layers);
  }

  /** [..., inFeatures] -> [..., outFeatures] (any number of leading dims, as nn.Linear). */
  forward(input: Tensor): Tensor {
    const x = requireTensor(input, 'MLP.forward', 'input');
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.config.inFeatures) {
      throw new RangeError(`MLP.forward: expected input of shape [..., ${this.config.inFeatures}] (config inFeatures), got [${x.shape}]`);
    }
    return this.layers.forward(x) as Tensor;
  }
}

/** The config schema, for checking a run file's model config without building the model (lib/config). */
export { schema as mlpConfigSchema };
