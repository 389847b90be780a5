// TransformerEncoderLayer (post- or pre-norm, as torch.nn.TransformerEncoderLayer) and a GPT
// decoder block (pre-norm, causal self-attention, no cross-attention).
import { type Tensor } from '../../core/tensor.js';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { Dropout } from './activation.js';
import { MultiheadAttention } from './attention.js';
import { LayerNorm } from './normalization.js';
import { Linear } from './linear.js';

export type Activation = 'relu' | 'gelu' | 'gelu_tanh';

function activate(x: Tensor, activation: Activation): Tensor {
  if (activation === 'relu') return x.relu();
  return F.gelu(x, { approximate: activation === 'gelu_tanh' ? 'tanh' : 'none' });
}

export interface EncoderLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: Activation;
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
  bias?: boolean;
}

export class TransformerEncoderLayer extends Module {
  declare selfAttn: MultiheadAttention;
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  readonly normFirst: boolean;
  readonly activation: Activation;

  constructor(readonly dModel: number, readonly nhead: number, options: EncoderLayerOptions = {}) {
    super();
    const dff = options.dimFeedforward ?? 2048, p = options.dropout ?? 0.1, eps = options.layerNormEps ?? 1e-5, bias = options.bias ?? true;
    // registration (and so initialisation) order follows PyTorch's __init__
    this.registerModule('self_attn', new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: options.batchFirst ?? false }), 'selfAttn');
    this.registerModule('linear1', new Linear(dModel, dff, { bias }));
    this.registerModule('dropout', new Dropout(p));
    this.registerModule('linear2', new Linear(dff, dModel, { bias }));
    this.normFirst = options.normFirst ?? false;
    this.registerModule('norm1', new LayerNorm(dModel, { eps, bias }));
    this.registerModule('norm2', new LayerNorm(dModel, { eps, bias }));
    this.registerModule('dropout1', new Dropout(p));
    this.registerModule('dropout2', new Dropout(p));
    this.activation = options.activation ?? 'relu';
  }

  forward(src: Tensor, options: { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {}): Tensor {
    const sa = (x: Tensor) =>
      this.dropout1.forward(this.selfAttn.forward(x, x, x, {
        attnMask: options.srcMask, keyPaddingMask: options.srcKeyPaddingMask, isCausal: options.isCausal, needWeights: false,
      })[0]);
    const ff = (x: Tensor) => this.dropout2.forward(this.linear2.forward(this.dropout.forward(activate(this.linear1.forward(x), this.activation))));
    let x = src;
    if (this.normFirst) {
      x = x.add(sa(this.norm1.forward(x)));
      return x.add(ff(this.norm2.forward(x)));
    }
    x = this.norm1.forward(x.add(sa(x)));
    return this.norm2.forward(x.add(ff(x)));
  }
}

/**
 * The GPT block: x + attn(ln1(x)) with a causal mask, then x + mlp(ln2(x)); batch-first
 * [batch, seq, dModel]. Submodules: ln_1, attn, ln_2, mlp_fc, mlp_proj (GPT-2's layout).
 */
export class TransformerDecoderBlock extends Module {
  declare ln1: LayerNorm;
  declare attn: MultiheadAttention;
  declare ln2: LayerNorm;
  declare mlpFc: Linear;
  declare mlpProj: Linear;
  declare dropout: Dropout;
  readonly activation: Activation;

  constructor(readonly dModel: number, readonly nhead: number, options: { dimFeedforward?: number; dropout?: number; activation?: Activation; bias?: boolean } = {}) {
    super();
    const dff = options.dimFeedforward ?? 4 * dModel, p = options.dropout ?? 0, bias = options.bias ?? true;
    this.registerModule('ln_1', new LayerNorm(dModel, { bias }), 'ln1');
    this.registerModule('attn', new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: true }));
    this.registerModule('ln_2', new LayerNorm(dModel, { bias }), 'ln2');
    this.registerModule('mlp_fc', new Linear(dModel, dff, { bias }), 'mlpFc');
    this.registerModule('mlp_proj', new Linear(dff, dModel, { bias }), 'mlpProj');
    this.registerModule('dropout', new Dropout(p));
    this.activation = options.activation ?? 'gelu';
  }

  /** keyPaddingMask: [batch, seq], true where a position is padding. */
  forward(x: Tensor, options: { keyPaddingMask?: Tensor | null } = {}): Tensor {
    const h = this.ln1.forward(x);
    const attended = this.attn.forward(h, h, h, { isCausal: true, needWeights: false, keyPaddingMask: options.keyPaddingMask })[0];
    const y = x.add(this.dropout.forward(attended));
    const m = this.mlpProj.forward(activate(this.mlpFc.forward(this.ln2.forward(y)), this.activation));
    return y.add(this.dropout.forward(m));
  }
}
