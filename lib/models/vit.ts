// A small Vision Transformer (Dosovitskiy et al. 2021): non-overlapping patches embedded by one
// strided Conv2d, a learned class token and learned positions, pre-norm encoder layers, a final
// LayerNorm and a Linear head on the class token. Names and initialisation follow timm's
// VisionTransformer (patch_embed, cls_token, pos_embed, blocks.N, norm, head; truncated-normal
// 0.02 weights), so that it trains the way people expect a ViT to.
import { z } from 'zod';
import { empty } from '../core/creation.js';
import { cat } from '../core/functions.js';
import { type Tensor } from '../core/tensor.js';
import * as init from '../nn/init.js';
import { Module } from '../nn/module.js';
import { Parameter } from '../nn/parameter.js';
import { Dropout } from '../nn/layers/activation.js';
import { ModuleList } from '../nn/layers/container.js';
import { Conv2d } from '../nn/layers/conv.js';
import { Linear } from '../nn/layers/linear.js';
import { LayerNorm } from '../nn/layers/normalization.js';
import { TransformerEncoderLayer } from '../nn/layers/transformer.js';
import { nonNegativeInt, parseConfig, positiveInt, probability, rule } from './config.js';
import { requireImages } from './inputs.js';

export interface ViTMiniConfig {
  /** Height and width of the (square) input images. Default 32. */
  imageSize?: number;
  /** Side of each square patch; must divide imageSize. Default 4 (64 patches of 32x32 images). */
  patchSize?: number;
  /** Image channels. Default 3. */
  inChannels?: number;
  /** Classes of the head; 0 means no head (forward returns the class token's features). Default 10. */
  numClasses?: number;
  /** Token (model) width. Default 64. */
  dim?: number;
  /** Number of encoder layers. Default 4. */
  depth?: number;
  /** Attention heads per layer; must divide dim. Default 4. */
  heads?: number;
  /** Width of each layer's feed-forward block. Default 128. */
  mlpDim?: number;
  /** Dropout after the position embedding and inside each layer. Default 0. */
  dropout?: number;
}

/** The tower-only part of the config (no head), as CLIP's image tower takes it. */
export type ViTTowerConfig = Omit<ViTMiniConfig, 'numClasses'>;

const fields = {
  imageSize: positiveInt().default(32),
  patchSize: positiveInt().default(4),
  inChannels: positiveInt().default(3),
  dim: positiveInt().default(64),
  depth: positiveInt().default(4),
  heads: positiveInt().default(4),
  mlpDim: positiveInt().default(128),
  dropout: probability().default(0),
};

function checkGeometry(c: { imageSize: number; patchSize: number; dim: number; heads: number }, ctx: z.RefinementCtx): void {
  rule(ctx, c.imageSize % c.patchSize === 0, ['patchSize'], `must divide imageSize (${c.imageSize}), got ${c.patchSize}`);
  rule(ctx, c.dim % c.heads === 0, ['heads'], `must divide dim (${c.dim}), got ${c.heads}`);
}

const schema = z.strictObject({ ...fields, numClasses: nonNegativeInt().default(10) }).superRefine(checkGeometry);
/** The schema of a ViT tower config (CLIP's `image` field). */
export const vitTowerSchema = z.strictObject(fields).superRefine(checkGeometry);

export type ResolvedViTMiniConfig = z.output<typeof schema>;

export class ViTMini extends Module {
  declare patchEmbed: Conv2d;
  declare clsToken: Parameter;
  declare posEmbed: Parameter;
  declare posDrop: Dropout;
  declare blocks: ModuleList;
  declare norm: LayerNorm;
  declare head: Linear | null;
  readonly config: ResolvedViTMiniConfig;
  /** Patches per image ((imageSize / patchSize)^2); the sequence is one longer (the class token). */
  readonly numPatches: number;

  constructor(config: ViTMiniConfig = {}) {
    super();
    const c = parseConfig('ViTMini', schema, config);
    this.config = c;
    this.numPatches = (c.imageSize / c.patchSize) ** 2;
    // kernel = stride = patch: each output pixel is one patch's linear embedding.
    this.registerModule('patch_embed', new Conv2d(c.inChannels, c.dim, c.patchSize, { stride: c.patchSize }), 'patchEmbed');
    this.registerParameter('cls_token', new Parameter(empty([1, 1, c.dim])), 'clsToken');
    this.registerParameter('pos_embed', new Parameter(empty([1, this.numPatches + 1, c.dim])), 'posEmbed');
    this.registerModule('pos_drop', new Dropout(c.dropout), 'posDrop');
    this.blocks = new ModuleList(Array.from({ length: c.depth }, () => new TransformerEncoderLayer(c.dim, c.heads, {
      dimFeedforward: c.mlpDim, dropout: c.dropout, activation: 'gelu', layerNormEps: 1e-6, batchFirst: true, normFirst: true,
    })));
    this.norm = new LayerNorm(c.dim, { eps: 1e-6 });
    this.head = c.numClasses > 0 ? new Linear(c.dim, c.numClasses) : null;
    this.initWeights();
  }

  /**
   * timm's ViT initialisation: truncated N(0, 0.02) for the position embedding, the class token
   * and every Linear weight (the packed q/k/v projection included), zero biases; the patch
   * embedding keeps Conv2d's default.
   */
  private initWeights(): void {
    init.truncNormal_(this.posEmbed, 0, 0.02);
    init.truncNormal_(this.clsToken, 0, 0.02);
    for (const m of this.modules()) {
      if (m instanceof Linear) {
        init.truncNormal_(m.weight, 0, 0.02);
        if (m.bias) init.zeros_(m.bias);
      }
    }
    for (const layer of this.blocks.children() as TransformerEncoderLayer[]) {
      init.truncNormal_(layer.selfAttn.inProjWeight, 0, 0.02);
      if (layer.selfAttn.inProjBias) init.zeros_(layer.selfAttn.inProjBias);
    }
  }

  /** images [B, C, imageSize, imageSize] -> all tokens after the final LayerNorm [B, 1 + numPatches, dim]. */
  forwardTokens(images: Tensor, where = 'ViTMini.forward'): Tensor {
    const x0 = requireImages(images, where, this.config.inChannels, this.config.imageSize);
    const patches = this.patchEmbed.forward(x0).flatten(2).transpose(1, 2);
    const cls = this.clsToken.expand(patches.shape[0], -1, -1);
    let x = this.posDrop.forward(cat([cls, patches], 1).add(this.posEmbed));
    for (const block of this.blocks) x = block.forward(x);
    return this.norm.forward(x);
  }

  /** images -> the class token's features [B, dim]. `where` names the caller in input errors. */
  forwardFeatures(images: Tensor, where = 'ViTMini.forward'): Tensor {
    return this.forwardTokens(images, where).select(1, 0);
  }

  /** images [B, inChannels, imageSize, imageSize] -> logits [B, numClasses] (features [B, dim] when numClasses is 0). */
  forward(images: Tensor): Tensor {
    const features = this.forwardFeatures(images);
    return this.head ? this.head.forward(features) : features;
  }
}

/** The config schema, for checking a run file's model config without building the model (lib/config). */
export { schema as vitMiniConfigSchema };
