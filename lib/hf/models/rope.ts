// Rotary position embeddings as transformers 5 computes them (modeling_rope_utils.py): the
// default inverse frequencies and the scaled variants a config.json may ask for in
// rope_parameters (transformers 5) or rope_scaling + rope_theta (4.x): 'linear' (positions
// interpolated), 'dynamic' (NTK base growing past max_position_embeddings), 'llama3' (Llama 3.1's
// per-band smoothing) and 'yarn' (NTK-by-parts with an attention factor on cos/sin).
import { arange, tensor } from '../../core/creation.js';
import { cat } from '../../core/functions.js';
import { type Tensor } from '../../core/tensor.js';
import { type LlamaHfConfig, type RopeParameters } from '../config.js';

/** The rotary settings of a config in transformers 5's standard form (standardize_rope_params). */
export interface StandardRope extends RopeParameters {
  rope_type: 'default' | 'linear' | 'dynamic' | 'llama3' | 'yarn';
  rope_theta: number;
}

export function standardRope(c: LlamaHfConfig): StandardRope {
  const given = c.rope_parameters ?? c.rope_scaling ?? {};
  const type = given.rope_type ?? given.type ?? 'default';
  const out: StandardRope = { ...given, rope_type: type, rope_theta: given.rope_theta ?? c.rope_theta ?? 10000 };
  if ((type === 'llama3' || type === 'yarn') && out.original_max_position_embeddings === undefined) {
    // As transformers: a config-level original_max_position_embeddings wins, else max_position_embeddings.
    const top = (c as { original_max_position_embeddings?: unknown }).original_max_position_embeddings;
    out.original_max_position_embeddings = typeof top === 'number' ? top : c.max_position_embeddings;
  }
  return out;
}

/** 1 / theta^(2i / dim) for i < dim / 2, in float32 as transformers computes it (the default inverse frequencies). */
function defaultInvFreq(dim: number, theta: number, device: string): Tensor {
  const exponents = arange(0, dim, 2, { dtype: 'int64', device }).to({ dtype: 'float32' }).div(dim);
  return exponents.rpow(theta).reciprocal();
}

const yarnMscale = (scale: number, mscale = 1) => (scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1);

/** The inverse frequencies [dim / 2] and the factor cos and sin are multiplied by, for sequences of length t. */
function inverseFrequencies(r: StandardRope, dim: number, maxPositions: number, t: number, device: string): { invFreq: Tensor; attentionFactor: number } {
  switch (r.rope_type) {
    case 'default':
      return { invFreq: defaultInvFreq(dim, r.rope_theta, device), attentionFactor: 1 };
    case 'linear':
      return { invFreq: defaultInvFreq(dim, r.rope_theta, device).div(r.factor!), attentionFactor: 1 };
    case 'dynamic': {
      // The base grows once the sequence is longer than max_position_embeddings (it never is here: inputs are capped at it).
      const seqLen = Math.max(t, maxPositions);
      const base = r.rope_theta * ((r.factor! * seqLen) / maxPositions - (r.factor! - 1)) ** (dim / (dim - 2));
      return { invFreq: defaultInvFreq(dim, base, device), attentionFactor: 1 };
    }
    case 'llama3': {
      const inv = defaultInvFreq(dim, r.rope_theta, device);
      const factor = r.factor!, low = r.low_freq_factor!, high = r.high_freq_factor!, old = r.original_max_position_embeddings!;
      const lowWavelen = old / low, highWavelen = old / high;
      const scaled = Array.from(inv.data() as Float32Array, (f) => {
        const wavelen = (2 * Math.PI) / f;
        if (wavelen < highWavelen) return f;
        if (wavelen > lowWavelen) return f / factor;
        const smooth = (old / wavelen - low) / (high - low);
        return (1 - smooth) * (f / factor) + smooth * f;
      });
      return { invFreq: tensor(Float32Array.from(scaled), { device }), attentionFactor: 1 };
    }
    case 'yarn': {
      const base = r.rope_theta, original = r.original_max_position_embeddings!;
      const factor = r.factor ?? maxPositions / original;
      const attentionFactor = r.attention_factor ?? (r.mscale && r.mscale_all_dim ? yarnMscale(factor, r.mscale) / yarnMscale(factor, r.mscale_all_dim) : yarnMscale(factor));
      const betaFast = r.beta_fast || 32, betaSlow = r.beta_slow || 1;
      const correctionDim = (rotations: number) => (dim * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
      let lo = correctionDim(betaFast), hi = correctionDim(betaSlow);
      if (r.truncate ?? true) {
        lo = Math.floor(lo);
        hi = Math.ceil(hi);
      }
      lo = Math.max(lo, 0);
      hi = Math.min(hi, dim - 1);
      if (lo === hi) hi += 0.001;
      const inv = defaultInvFreq(dim, base, device).data() as Float32Array;
      const mixed = Array.from(inv, (extrapolation, i) => {
        const ramp = Math.min(Math.max((i - lo) / (hi - lo), 0), 1);
        const keep = 1 - ramp; // how much of the unscaled (extrapolated) frequency stays
        return (extrapolation / factor) * (1 - keep) + extrapolation * keep;
      });
      return { invFreq: tensor(Float32Array.from(mixed), { device }), attentionFactor };
    }
  }
}

/** cos and sin [T, headDim] of the config's rotary embedding, in float32 as transformers computes them. */
export function rotaryEmbedding(t: number, headDim: number, config: LlamaHfConfig, device: string): { cos: Tensor; sin: Tensor } {
  const { invFreq, attentionFactor } = inverseFrequencies(standardRope(config), headDim, config.max_position_embeddings, t, device);
  const freqs = arange(t, { dtype: 'int64', device }).to({ dtype: 'float32' }).outer(invFreq);
  const emb = cat([freqs, freqs], -1);
  return attentionFactor === 1 ? { cos: emb.cos(), sin: emb.sin() } : { cos: emb.cos().mul(attentionFactor), sin: emb.sin().mul(attentionFactor) };
}
