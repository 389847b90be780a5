// A small ResNet (He et al. 2016) for small images: a 3x3 stem, one stage of BasicBlocks per
// width (each later stage halves the resolution), global average pooling and a Linear head.
// Names follow torchvision's resnet (conv1, bn1, layer1.0.conv1, layer1.0.downsample.0, fc),
// so its state dict reads like one; the stem is CIFAR-style (3x3, stride 1, no max pool),
// because a 7x7/2 stem plus a pool would shrink 32x32 inputs to almost nothing.
import { z } from 'zod';
import { type Tensor } from '../core/tensor.js';
import * as init from '../nn/init.js';
import { Module } from '../nn/module.js';
import { Sequential } from '../nn/layers/container.js';
import { Conv2d } from '../nn/layers/conv.js';
import { Linear } from '../nn/layers/linear.js';
import { BatchNorm2d } from '../nn/layers/normalization.js';
import { AdaptiveAvgPool2d } from '../nn/layers/pooling.js';
import { parseConfig, positiveInt } from './config.js';
import { requireImages } from './inputs.js';

export interface ResNetMiniConfig {
  /** Image channels. Default 3. */
  inChannels?: number;
  /** Number of classes (logits per image). Default 10. */
  numClasses?: number;
  /** Channels of each stage; stage i > 0 halves height and width. Default [16, 32, 64]. */
  widths?: number[];
  /** BasicBlocks per stage. Default 1. */
  blocksPerStage?: number;
}

const schema = z.strictObject({
  inChannels: positiveInt().default(3),
  numClasses: positiveInt().default(10),
  widths: z.array(positiveInt()).min(1).default([16, 32, 64]),
  blocksPerStage: positiveInt().default(1),
});

export type ResolvedResNetMiniConfig = z.output<typeof schema>;

const conv3x3 = (inC: number, outC: number, stride = 1) => new Conv2d(inC, outC, 3, { stride, padding: 1, bias: false });

/**
 * conv3x3 -> bn -> relu -> conv3x3 -> bn, plus the shortcut, then relu. The shortcut is the
 * identity when shapes agree, else a 1x1 strided conv + bn projection (torchvision's option B).
 */
export class BasicBlock extends Module {
  declare conv1: Conv2d;
  declare bn1: BatchNorm2d;
  declare conv2: Conv2d;
  declare bn2: BatchNorm2d;
  declare downsample: Sequential | null;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly stride = 1) {
    super();
    this.conv1 = conv3x3(inChannels, outChannels, stride);
    this.bn1 = new BatchNorm2d(outChannels);
    this.conv2 = conv3x3(outChannels, outChannels);
    this.bn2 = new BatchNorm2d(outChannels);
    const project = stride !== 1 || inChannels !== outChannels;
    this.downsample = project ? new Sequential(new Conv2d(inChannels, outChannels, 1, { stride, bias: false }), new BatchNorm2d(outChannels)) : null;
  }

  forward(x: Tensor): Tensor {
    const out = this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x)).relu()));
    const identity = this.downsample ? (this.downsample.forward(x) as Tensor) : x;
    return out.add(identity).relu();
  }
}

export class ResNetMini extends Module {
  declare conv1: Conv2d;
  declare bn1: BatchNorm2d;
  /** layer1, layer2, ...: one Sequential of BasicBlocks per width (registered by name). */
  declare readonly stages: Sequential[];
  declare avgpool: AdaptiveAvgPool2d;
  declare fc: Linear;
  readonly config: ResolvedResNetMiniConfig;

  constructor(config: ResNetMiniConfig = {}) {
    super();
    const c = parseConfig('ResNetMini', schema, config);
    this.config = c;
    const [first] = c.widths;
    this.conv1 = conv3x3(c.inChannels, first);
    this.bn1 = new BatchNorm2d(first);
    const stages: Sequential[] = [];
    let width = first;
    c.widths.forEach((w, i) => {
      const blocks = new Sequential();
      for (let b = 0; b < c.blocksPerStage; b++) blocks.append(new BasicBlock(b === 0 ? width : w, w, b === 0 && i > 0 ? 2 : 1));
      stages.push(this.registerModule(`layer${i + 1}`, blocks));
      width = w;
    });
    Object.defineProperty(this, 'stages', { value: stages, enumerable: false });
    this.avgpool = new AdaptiveAvgPool2d([1, 1]);
    this.fc = new Linear(width, c.numClasses);
    // torchvision's initialisation: He-normal convs (fan_out, for the ReLUs that follow),
    // BatchNorm at weight 1 and bias 0 (already its default); the Linear head keeps PyTorch's.
    for (const m of this.modules()) if (m instanceof Conv2d) init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
  }

  /** images [batch, inChannels, H, W] (any H, W >= 1) -> logits [batch, numClasses]. */
  forward(images: Tensor): Tensor {
    let x = requireImages(images, 'ResNetMini.forward', this.config.inChannels);
    x = this.bn1.forward(this.conv1.forward(x)).relu();
    for (const stage of this.stages) x = stage.forward(x) as Tensor;
    return this.fc.forward(this.avgpool.forward(x).flatten(1));
  }
}

/** The config schema, for checking a run file's model config without building the model (lib/config). */
export { schema as resNetMiniConfigSchema };
