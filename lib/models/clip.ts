// A CLIP-style dual encoder (Radford et al. 2021): a ViT image tower and a causal text
// transformer, each pooled to one vector, projected (Linear, no bias) into a shared embedding
// space and L2-normalised; the logits are cosine similarities times a learned temperature.
// The text tower follows OpenAI's layout and initialisation (token_embedding,
// positional_embedding, transformer.resblocks.N as GPT-style blocks, ln_final).
import { z } from 'zod';
import { arange, empty, tensor } from '../core/creation.js';
import { type Tensor } from '../core/tensor.js';
import * as F from '../nn/functional.js';
import * as init from '../nn/init.js';
import { Module } from '../nn/module.js';
import { Parameter } from '../nn/parameter.js';
import { ModuleList } from '../nn/layers/container.js';
import { Embedding } from '../nn/layers/embedding.js';
import { Linear } from '../nn/layers/linear.js';
import { LayerNorm } from '../nn/layers/normalization.js';
import { TransformerDecoderBlock } from '../nn/layers/transformer.js';
import { nonNegativeInt, parseConfig, positiveInt, rule } from './config.js';
import { lookup, requireSameShape, requireTokenIds } from './inputs.js';
import { ViTMini, type ViTTowerConfig, vitTowerSchema } from './vit.js';

export interface CLIPTextConfig {
  /** Number of token ids. */
  vocabSize: number;
  /** Longest text: the number of learned positions (CLIP: 77). */
  contextLength: number;
  /** Text transformer width (the MLP is 4x wider). */
  width: number;
  /** Number of text transformer blocks. */
  layers: number;
  /** Attention heads per block; must divide width. */
  heads: number;
  /**
   * The end-of-text token id. When set, and no attentionMask is given, a text is pooled at its
   * first EOT token (every text must contain one). Default: unset (pool at the last position).
   */
  eotTokenId?: number;
}

export interface CLIPConfig {
  /** Width of the shared image-text embedding space. */
  embedDim: number;
  /** The image tower, a ViT (ViTMini's fields without numClasses; ViTMini's defaults). Default {}. */
  image?: ViTTowerConfig;
  text: CLIPTextConfig;
}

const textSchema = z.strictObject({
  vocabSize: positiveInt(),
  contextLength: positiveInt(),
  width: positiveInt(),
  layers: positiveInt(),
  heads: positiveInt(),
  eotTokenId: nonNegativeInt().optional(),
}).superRefine((c, ctx) => {
  rule(ctx, c.width % c.heads === 0, ['heads'], `must divide width (${c.width}), got ${c.heads}`);
  rule(ctx, c.eotTokenId === undefined || c.eotTokenId < c.vocabSize, ['eotTokenId'], `must be below vocabSize (${c.vocabSize}), got ${c.eotTokenId}`);
});

const schema = z.strictObject({
  embedDim: positiveInt(),
  image: vitTowerSchema.default(vitTowerSchema.parse({})),
  text: textSchema,
});

export type ResolvedCLIPConfig = z.output<typeof schema>;
export type ResolvedCLIPTextConfig = z.output<typeof textSchema>;

export interface CLIPTextInputs {
  /**
   * [B, T], 1 (or true) for real tokens, 0 for padding, padding on the right; each text is
   * pooled at its last real token. (Causal attention already keeps real tokens from seeing
   * right padding, so no key mask is needed.)
   */
  attentionMask?: Tensor | null;
}

/** The text tower: embeddings, causal pre-norm blocks, ln_final, pooled at one token per text. */
export class CLIPTextTransformer extends Module {
  declare tokenEmbedding: Embedding;
  declare positionalEmbedding: Parameter;
  declare resblocks: ModuleList;
  declare lnFinal: LayerNorm;

  constructor(readonly config: ResolvedCLIPTextConfig) {
    super();
    const c = config;
    this.registerModule('token_embedding', new Embedding(c.vocabSize, c.width), 'tokenEmbedding');
    this.registerParameter('positional_embedding', new Parameter(empty([c.contextLength, c.width])), 'positionalEmbedding');
    this.resblocks = new ModuleList(Array.from({ length: c.layers }, () => new TransformerDecoderBlock(c.width, c.heads)));
    this.registerModule('ln_final', new LayerNorm(c.width), 'lnFinal');
    // OpenAI CLIP's initialisation; the residual-writing projections are scaled down by depth.
    const attnStd = c.width ** -0.5, projStd = attnStd * (2 * c.layers) ** -0.5, fcStd = (2 * c.width) ** -0.5;
    init.normal_(this.tokenEmbedding.weight, 0, 0.02);
    init.normal_(this.positionalEmbedding, 0, 0.01);
    for (const block of this.resblocks.children() as TransformerDecoderBlock[]) {
      init.normal_(block.attn.inProjWeight, 0, attnStd);
      init.normal_(block.attn.outProj.weight, 0, projStd);
      init.normal_(block.mlpFc.weight, 0, fcStd);
      init.normal_(block.mlpProj.weight, 0, projStd);
    }
  }

  /** tokens [B, T] -> pooled features [B, width] (see CLIPTextInputs and eotTokenId for where). */
  forward(tokens: Tensor, inputs: CLIPTextInputs = {}): Tensor {
    const where = 'CLIP.encodeText';
    const ids = requireTokenIds(tokens, where, 'tokens');
    const [b, t] = ids.shape;
    if (t > this.config.contextLength) {
      throw new RangeError(`${where}: text length ${t} exceeds contextLength ${this.config.contextLength}; truncate the tokens or build the model with a larger contextLength`);
    }
    const pos = this.poolPositions(ids, inputs.attentionMask ?? null);
    let x = lookup(this.tokenEmbedding, ids, where, 'tokens', 'text.vocabSize').add(this.positionalEmbedding.narrow(0, 0, t));
    for (const block of this.resblocks) x = block.forward(x);
    return this.lnFinal.forward(x).index(arange(b, { device: ids.device }), pos);
  }

  /** The position each text is pooled at, [B] int64. These checks read values, so they sync with the device. */
  private poolPositions(ids: Tensor, attentionMask: Tensor | null): Tensor {
    const where = 'CLIP.encodeText';
    const [b, t] = ids.shape;
    if (attentionMask) {
      const mask = requireSameShape(attentionMask, ids, where, 'attentionMask').ne(0).long();
      if (mask.select(1, 0).eq(0).any().item() || (t > 1 && mask.narrow(1, 1, t - 1).gt(mask.narrow(1, 0, t - 1)).any().item())) {
        throw new RangeError(`${where}: attentionMask must mark each text's real tokens as a run of 1s from position 0, padding after them (right padding), with at least one real token`);
      }
      return mask.sum(1).sub(1);
    }
    const eot = this.config.eotTokenId;
    if (eot === undefined) return tensor(new Array(b).fill(t - 1), { dtype: 'int64', device: ids.device });
    const isEot = ids.eq(eot);
    const missing = isEot.any(1).logicalNot();
    if (missing.any().item()) {
      throw new RangeError(`${where}: text ${missing.nonzero().index(0, 0).item()} has no end-of-text token (text.eotTokenId = ${eot}); end every text with it or pass an attentionMask`);
    }
    return isEot.long().argmax(1); // the first EOT (argmax returns the first maximum)
  }
}

export class CLIP extends Module {
  declare visual: ViTMini;
  declare text: CLIPTextTransformer;
  declare visualProjection: Linear;
  declare textProjection: Linear;
  declare logitScale: Parameter;
  readonly config: ResolvedCLIPConfig;

  constructor(config: CLIPConfig) {
    super();
    const c = parseConfig('CLIP', schema, config);
    this.config = c;
    this.visual = new ViTMini({ ...c.image, numClasses: 0 });
    this.text = new CLIPTextTransformer(c.text);
    this.registerModule('visual_projection', new Linear(c.image.dim, c.embedDim, { bias: false }), 'visualProjection');
    this.registerModule('text_projection', new Linear(c.text.width, c.embedDim, { bias: false }), 'textProjection');
    init.normal_(this.visualProjection.weight, 0, c.image.dim ** -0.5);
    init.normal_(this.textProjection.weight, 0, c.text.width ** -0.5);
    // The temperature is learned in log space, starting at 1/0.07 as in CLIP.
    this.registerParameter('logit_scale', new Parameter(tensor(Math.log(1 / 0.07))), 'logitScale');
  }

  /** images [B, C, S, S] -> L2-normalised embeddings [B, embedDim]. */
  encodeImage(images: Tensor): Tensor {
    return F.normalize(this.visualProjection.forward(this.visual.forwardFeatures(images, 'CLIP.encodeImage')), { dim: -1 });
  }

  /** tokens [B, T] -> L2-normalised embeddings [B, embedDim]. */
  encodeText(tokens: Tensor, inputs: CLIPTextInputs = {}): Tensor {
    return F.normalize(this.textProjection.forward(this.text.forward(tokens, inputs)), { dim: -1 });
  }

  /**
   * Scaled cosine similarities: logitsPerImage [Bi, Bt] (row i scores image i against every
   * text), logitsPerText its transpose. The scale exp(logitScale) is capped at 100, as CLIP
   * caps it, so that training cannot make the softmax arbitrarily sharp.
   */
  forward(images: Tensor, tokens: Tensor, inputs: CLIPTextInputs = {}): { logitsPerImage: Tensor; logitsPerText: Tensor } {
    const imageEmbeds = this.encodeImage(images);
    const textEmbeds = this.encodeText(tokens, inputs);
    const logitsPerImage = imageEmbeds.matmul(textEmbeds.t()).mul(this.logitScale.exp().clampMax(100));
    return { logitsPerImage, logitsPerText: logitsPerImage.t() };
  }
}

/** The config schema, for checking a run file's model config without building the model (lib/config). */
export { schema as clipConfigSchema };
