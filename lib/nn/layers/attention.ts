// MultiheadAttention, as torch.nn.MultiheadAttention (packed in-projection, out_proj) and
// F.multi_head_attention_forward: the same parameters, initialisation order and arithmetic.
// needWeights (the default, as in PyTorch) takes the explicit softmax path and returns the
// attention weights; needWeights: false goes through scaled-dot-product attention (libtorch's
// fused kernels where it has them).
import { full, zeros, empty } from '../../core/creation.js';
import { scope } from '../../core/scope.js';
import { type Tensor, describe } from '../../core/tensor.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { Linear } from './linear.js';

export interface MultiheadAttentionOptions { dropout?: number; bias?: boolean; batchFirst?: boolean }

export interface AttentionCall {
  /** [batch, source] (batch-first or not), true (or -inf) where a key is padding. */
  keyPaddingMask?: Tensor | null;
  /** [target, source] or [batch*heads, target, source]: boolean (true = masked) or additive float. */
  attnMask?: Tensor | null;
  /** A causal (upper-triangular) mask; built here when attnMask is not given. */
  isCausal?: boolean;
  needWeights?: boolean;
  averageAttnWeights?: boolean;
}

/** A boolean mask becomes PyTorch's additive float mask (-inf where true). */
function canonicalMask(mask: Tensor | null | undefined, dtype: Tensor['dtype']): Tensor | null {
  if (!mask) return null;
  if (mask.dtype === 'bool') return zeros(mask.shape, { dtype }).maskedFill(mask, -Infinity);
  return mask;
}

/** The additive causal mask [target, source]: -inf above the diagonal. */
function causalMask(tgtLen: number, srcLen: number, like: Tensor): Tensor {
  return full([tgtLen, srcLen], -Infinity, { dtype: like.dtype, device: like.device }).triu(1);
}

export class MultiheadAttention extends Module {
  declare inProjWeight: Parameter;
  declare inProjBias: Parameter | null;
  declare outProj: Linear;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;

  constructor(readonly embedDim: number, readonly numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) throw new RangeError(`MultiheadAttention: embed_dim (${embedDim}) must be divisible by num_heads (${numHeads})`);
    this.dropout = options.dropout ?? 0;
    this.batchFirst = options.batchFirst ?? false;
    const bias = options.bias ?? true;
    this.registerParameter('in_proj_weight', new Parameter(empty([3 * embedDim, embedDim])), 'inProjWeight');
    this.registerParameter('in_proj_bias', bias ? new Parameter(empty([3 * embedDim])) : null, 'inProjBias');
    this.registerModule('out_proj', new Linear(embedDim, embedDim, { bias }), 'outProj');
    // PyTorch draws out_proj's Linear initialisation first, then these (same generator order).
    init.xavierUniform_(this.inProjWeight);
    if (this.inProjBias) init.constant_(this.inProjBias, 0);
    if (this.outProj.bias) init.constant_(this.outProj.bias, 0);
  }

  /** Returns [output, weights] (weights null unless needWeights). */
  forward(query: Tensor, key: Tensor, value: Tensor, call: AttentionCall = {}): [Tensor, Tensor | null] {
    for (const [t, n] of [[query, 'query'], [key, 'key'], [value, 'value']] as const) {
      if (!t || typeof t !== 'object' || !('shape' in t)) throw new TypeError(`MultiheadAttention: ${n} must be a Tensor, got ${describe(t)}`);
    }
    if (query.ndim !== 3) throw new RangeError(`MultiheadAttention: expected 3-D (batched) query, got shape [${query.shape}]`);
    const selfAttention = query === key && key === value;
    // Batch-first without weights (GPT, BERT, ViT blocks) takes nanoGPT's layout; the rest
    // follows F.multi_head_attention_forward step by step.
    if (this.batchFirst && !(call.needWeights ?? true)) return scope(() => [this.attendBatchFirst(query, key, value, selfAttention, call), null]);
    return scope(() => {
      let [q, k, v] = [query, key, value];
      if (this.batchFirst) {
        // transpose once per distinct tensor, so that "key is value" still holds afterwards
        q = q.transpose(1, 0);
        k = key === query ? q : k.transpose(1, 0);
        v = value === key ? k : value === query ? q : v.transpose(1, 0);
      }
      const [out, weights] = this.attend(q, k, v, selfAttention, call);
      return [this.batchFirst ? out.transpose(1, 0) : out, weights] as [Tensor, Tensor | null];
    });
  }

  private attend(query: Tensor, key: Tensor, value: Tensor, selfAttention: boolean, call: AttentionCall): [Tensor, Tensor | null] {
    const needWeights = call.needWeights ?? true;
    const [tgtLen, bsz, embed] = query.shape;
    if (embed !== this.embedDim) throw new RangeError(`MultiheadAttention: query's last dim is ${embed}, expected embed_dim ${this.embedDim}`);
    // PyTorch's shape checks: a wrong mask would otherwise fail deep inside as a baddbmm error.
    const srcLen0 = key.shape[0];
    const padding = call.keyPaddingMask;
    if (padding && (padding.ndim !== 2 || padding.shape[0] !== bsz || padding.shape[1] !== srcLen0)) {
      throw new RangeError(`MultiheadAttention: keyPaddingMask has shape [${padding.shape}], expected [${bsz}, ${srcLen0}] ([batch, source length]); fix the attention mask the batch carries (one row per sample, one column per key position)`);
    }
    const mask = call.attnMask;
    if (mask) {
      const expected = mask.ndim === 2 ? [tgtLen, srcLen0] : [bsz * this.numHeads, tgtLen, srcLen0];
      if ((mask.ndim !== 2 && mask.ndim !== 3) || mask.shape.join(',') !== expected.join(',')) {
        throw new RangeError(`MultiheadAttention: attnMask has shape [${mask.shape}], expected [${tgtLen}, ${srcLen0}] ([target, source]) or [${bsz * this.numHeads}, ${tgtLen}, ${srcLen0}] ([batch * heads, target, source])`);
      }
    }
    let keyPadding = canonicalMask(call.keyPaddingMask, query.dtype);
    let attnMask = call.attnMask ?? null;
    let isCausal = Boolean(call.isCausal);
    if (isCausal && !keyPadding && !needWeights) attnMask = null; // sdpa applies the causal mask itself
    else {
      // the explicit causal mask is built only when a path reads it
      if (isCausal && !attnMask) attnMask = causalMask(tgtLen, key.shape[0], query);
      attnMask = canonicalMask(attnMask, query.dtype);
      if (keyPadding) isCausal = false;
    }
    // packed in-projection: one matmul when q, k and v are the same tensor
    let q: Tensor, k: Tensor, v: Tensor;
    const E = this.embedDim;
    if (selfAttention) {
      const proj = F.linear(query, this.inProjWeight, this.inProjBias).unflatten(-1, [3, E]).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous();
      [q, k, v] = [proj.index(0), proj.index(1), proj.index(2)];
    } else if (key === value) {
      // PyTorch projects a shared key/value tensor with one matmul too
      const [wq, wkv] = this.inProjWeight.split([E, 2 * E]);
      const [bq, bkv] = this.inProjBias ? this.inProjBias.split([E, 2 * E]) : [null, null];
      q = F.linear(query, wq, bq);
      const kv = F.linear(key, wkv, bkv).unflatten(-1, [2, E]).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous();
      [k, v] = [kv.index(0), kv.index(1)];
    } else {
      const [wq, wk, wv] = this.inProjWeight.chunk(3);
      const [bq, bk, bv] = this.inProjBias ? this.inProjBias.chunk(3) : [null, null, null];
      [q, k, v] = [F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)];
    }
    if (attnMask && attnMask.ndim === 2) attnMask = attnMask.unsqueeze(0);
    const heads = this.numHeads, hd = this.headDim;
    q = q.view(tgtLen, bsz * heads, hd).transpose(0, 1);
    k = k.view(k.shape[0], bsz * heads, hd).transpose(0, 1);
    v = v.view(v.shape[0], bsz * heads, hd).transpose(0, 1);
    const srcLen = k.shape[1];
    if (keyPadding) {
      keyPadding = keyPadding.view(bsz, 1, 1, srcLen).expand(-1, heads, -1, -1).reshape(bsz * heads, 1, srcLen);
      attnMask = attnMask ? attnMask.add(keyPadding) : keyPadding;
    }
    const dropoutP = this.training ? this.dropout : 0;
    if (needWeights) {
      const qScaled = q.mul(Math.sqrt(1.0 / hd));
      let w = attnMask ? attnMask.baddbmm(qScaled, k.transpose(-2, -1)) : qScaled.bmm(k.transpose(-2, -1));
      w = w.softmax(-1);
      if (dropoutP > 0) w = F.dropout(w, dropoutP);
      let out = w.bmm(v).transpose(0, 1).contiguous().view(tgtLen * bsz, E);
      out = F.linear(out, this.outProj.weight, this.outProj.bias).view(tgtLen, bsz, E);
      let weights = w.view(bsz, heads, tgtLen, srcLen);
      if (call.averageAttnWeights ?? true) weights = weights.mean(1);
      return [out, weights];
    }
    if (attnMask) attnMask = attnMask.shape[0] === 1 && attnMask.ndim === 3 ? attnMask.unsqueeze(0) : attnMask.view(bsz, heads, -1, srcLen);
    const out4 = F.scaledDotProductAttention(q.view(bsz, heads, tgtLen, hd), k.view(bsz, heads, srcLen, hd), v.view(bsz, heads, srcLen, hd),
      { attnMask, dropoutP, isCausal });
    const out = F.linear(out4.permute(2, 0, 1, 3).contiguous().view(bsz * tgtLen, E), this.outProj.weight, this.outProj.bias).view(tgtLen, bsz, E);
    return [out, null];
  }

  /**
   * [B, T, E] in, [B, T, E] out, as nanoGPT's CausalSelfAttention: the in-projection runs on the
   * batch-first input itself, q/k/v are views of its output ([B, h, T, d] by one view + transpose,
   * which scaled-dot-product attention reads strided), and the only layout copy is the output's
   * transpose back before out_proj. PyTorch's own path transposes to sequence-first, copies the
   * packed q/k/v and the permuted output: the same arithmetic with three more copies per call
   * (and their backward).
   */
  private attendBatchFirst(query: Tensor, key: Tensor, value: Tensor, selfAttention: boolean, call: AttentionCall): Tensor {
    const [bsz, tgtLen, embed] = query.shape;
    const E = this.embedDim, heads = this.numHeads, hd = this.headDim;
    if (embed !== E) throw new RangeError(`MultiheadAttention: query's last dim is ${embed}, expected embed_dim ${E}`);
    if (key.ndim !== 3 || value.ndim !== 3 || key.shape[0] !== bsz || value.shape[0] !== bsz || key.shape[1] !== value.shape[1]) {
      throw new RangeError(`MultiheadAttention: key [${key.shape}] and value [${value.shape}] must be [batch, source, embed] with query's batch (${bsz}) and one source length (batchFirst)`);
    }
    const srcLen = key.shape[1];
    const padding = call.keyPaddingMask;
    if (padding && (padding.ndim !== 2 || padding.shape[0] !== bsz || padding.shape[1] !== srcLen)) {
      throw new RangeError(`MultiheadAttention: keyPaddingMask has shape [${padding.shape}], expected [${bsz}, ${srcLen}] ([batch, source length]); fix the attention mask the batch carries (one row per sample, one column per key position)`);
    }
    let attnMask = call.attnMask ?? null;
    if (attnMask) {
      const expected = attnMask.ndim === 2 ? [tgtLen, srcLen] : [bsz * heads, tgtLen, srcLen];
      if ((attnMask.ndim !== 2 && attnMask.ndim !== 3) || attnMask.shape.join(',') !== expected.join(',')) {
        throw new RangeError(`MultiheadAttention: attnMask has shape [${attnMask.shape}], expected [${tgtLen}, ${srcLen}] ([target, source]) or [${bsz * heads}, ${tgtLen}, ${srcLen}] ([batch * heads, target, source])`);
      }
    }
    // PyTorch's mask rules: with isCausal and no padding mask sdpa masks by itself (a given
    // attnMask is only a hint and is dropped); with a padding mask the causal mask is explicit.
    let isCausal = Boolean(call.isCausal);
    if (isCausal && !padding) attnMask = null;
    else {
      if (isCausal && !attnMask) attnMask = causalMask(tgtLen, srcLen, query);
      isCausal = false;
      attnMask = canonicalMask(attnMask, query.dtype);
      if (attnMask && attnMask.ndim === 3) attnMask = attnMask.view(bsz, heads, tgtLen, srcLen);
      const keyPadding = canonicalMask(padding, query.dtype)?.view(bsz, 1, 1, srcLen) ?? null;
      if (keyPadding) attnMask = attnMask ? attnMask.add(keyPadding) : keyPadding;
    }
    let q: Tensor, k: Tensor, v: Tensor;
    if (selfAttention) {
      [q, k, v] = F.linear(query, this.inProjWeight, this.inProjBias).split(E, -1);
    } else if (key === value) {
      const [wq, wkv] = this.inProjWeight.split([E, 2 * E]);
      const [bq, bkv] = this.inProjBias ? this.inProjBias.split([E, 2 * E]) : [null, null];
      q = F.linear(query, wq, bq);
      [k, v] = F.linear(key, wkv, bkv).split(E, -1);
    } else {
      const [wq, wk, wv] = this.inProjWeight.chunk(3);
      const [bq, bk, bv] = this.inProjBias ? this.inProjBias.chunk(3) : [null, null, null];
      [q, k, v] = [F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)];
    }
    const dropoutP = this.training ? this.dropout : 0;
    const out = F.scaledDotProductAttention(
      q.view(bsz, tgtLen, heads, hd).transpose(1, 2), k.view(bsz, srcLen, heads, hd).transpose(1, 2), v.view(bsz, srcLen, heads, hd).transpose(1, 2),
      { attnMask, dropoutP, isCausal });
    return F.linear(out.transpose(1, 2).reshape(bsz, tgtLen, E), this.outProj.weight, this.outProj.bias);
  }

  override extraRepr(): string {
    return '';
  }
}
