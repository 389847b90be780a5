// A LeNet-5-like CNN (LeCun et al. 1998, with ReLU and max pooling as modern re-creations do):
// conv(5x5, 6) -> relu -> pool -> conv(5x5, 16) -> relu -> pool -> 120 -> 84 -> classes.
// The first conv pads by 2 so that 28x28 MNIST digits give the original 32x32 geometry
// (16 x 5 x 5 features before the classifier).
import { z } from 'zod';
import { type Tensor } from '../core/tensor.js';
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { Linear } from '../nn/layers/linear.js';
import { MaxPool2d } from '../nn/layers/pooling.js';
import { parseConfig, positiveInt, rule } from './config.js';
import { requireImages } from './inputs.js';

export interface LeNetConfig {
  /** Image channels. Default 1 (greyscale, as MNIST). */
  inChannels?: number;
  /** Number of classes (logits per image). Default 10. */
  numClasses?: number;
  /** Height and width of the (square) input images; at least 12. Default 28. */
  imageSize?: number;
}

/** Side of the 16-channel feature map before the classifier: conv(pad 2) keeps size, pool halves, conv(5) takes 4, pool halves. */
const featureSide = (imageSize: number) => Math.floor((Math.floor(imageSize / 2) - 4) / 2);

const schema = z.strictObject({
  inChannels: positiveInt().default(1),
  numClasses: positiveInt().default(10),
  imageSize: positiveInt().default(28),
}).superRefine((c, ctx) => rule(ctx, featureSide(c.imageSize) >= 1, ['imageSize'],
  `must be at least 12 so that two 5x5 convolutions and two 2x2 poolings leave a feature map (got ${c.imageSize})`));

export type ResolvedLeNetConfig = z.output<typeof schema>;

export class LeNet extends Module {
  declare conv1: Conv2d;
  declare pool1: MaxPool2d;
  declare conv2: Conv2d;
  declare pool2: MaxPool2d;
  declare fc1: Linear;
  declare fc2: Linear;
  declare fc3: Linear;
  readonly config: ResolvedLeNetConfig;

  constructor(config: LeNetConfig = {}) {
    super();
    const c = parseConfig('LeNet', schema, config);
    this.config = c;
    const side = featureSide(c.imageSize);
    this.conv1 = new Conv2d(c.inChannels, 6, 5, { padding: 2 });
    this.pool1 = new MaxPool2d(2);
    this.conv2 = new Conv2d(6, 16, 5);
    this.pool2 = new MaxPool2d(2);
    this.fc1 = new Linear(16 * side * side, 120);
    this.fc2 = new Linear(120, 84);
    this.fc3 = new Linear(84, c.numClasses);
  }

  /** images [batch, inChannels, imageSize, imageSize] -> logits [batch, numClasses]. */
  forward(images: Tensor): Tensor {
    const x0 = requireImages(images, 'LeNet.forward', this.config.inChannels, this.config.imageSize);
    const x1 = this.pool1.forward(this.conv1.forward(x0).relu());
    const x2 = this.pool2.forward(this.conv2.forward(x1).relu()).flatten(1);
    return this.fc3.forward(this.fc2.forward(this.fc1.forward(x2).relu()).relu());
  }
}

/** The config schema, for checking a run file's model config without building the model (lib/config). */
export { schema as leNetConfigSchema };
