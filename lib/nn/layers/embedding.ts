// Embedding, and the sinusoidal and learned positional embeddings of transformer models.
import { checkedSize } from '../../core/validation.js';
import { noGrad } from '../../core/autograd.js';
import { arange, empty, zeros } from '../../core/creation.js';
import { scope } from '../../core/scope.js';
import { type Tensor } from '../../core/tensor.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

/** A lookup table; weights ~ N(0, 1) as in torch.nn.Embedding, the paddingIdx row zeroed. */
export class Embedding extends Module {
  declare weight: Parameter;
  readonly paddingIdx: number | null;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: { paddingIdx?: number | null } = {}) {
    super();
    checkedSize(numEmbeddings, 'nn.Embedding', 'numEmbeddings');
    checkedSize(embeddingDim, 'nn.Embedding', 'embeddingDim');
    let padding = options.paddingIdx ?? null;
    if (padding !== null) {
      if (padding >= numEmbeddings || padding < -numEmbeddings) throw new RangeError(`Embedding: paddingIdx ${padding} must be within num_embeddings (${numEmbeddings})`);
      if (padding < 0) padding += numEmbeddings;
    }
    this.paddingIdx = padding;
    this.registerParameter('weight', new Parameter(empty([numEmbeddings, embeddingDim])));
    this.resetParameters();
  }

  resetParameters(): void {
    init.normal_(this.weight);
    if (this.paddingIdx !== null) noGrad(() => scope(() => void this.weight.index(this.paddingIdx!).fill_(0)));
  }

  forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight, { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}

/**
 * Fixed sin/cos positions ("Attention Is All You Need"): pe[p, 2i] = sin(p / 10000^(2i/d)),
 * pe[p, 2i+1] = cos(...). forward(x) adds them to x of shape [batch, seq, d] (or [seq, d]).
 */
export class SinusoidalPositionalEmbedding extends Module {
  declare pe: Tensor;

  constructor(readonly embeddingDim: number, readonly maxLength = 5000) {
    super();
    const pe = scope(() => {
      const position = arange(0, maxLength, { dtype: 'float32' }).unsqueeze(1);
      const divTerm = arange(0, embeddingDim, 2, { dtype: 'float32' }).mul(-Math.log(10000.0) / embeddingDim).exp();
      const table = zeros([maxLength, embeddingDim]);
      const angles = position.mul(divTerm);
      table.indexPut_([':', '0::2'], angles.sin());
      table.indexPut_([':', '1::2'], angles.narrow(1, 0, Math.floor(embeddingDim / 2)).cos());
      return table;
    });
    this.registerBuffer('pe', pe, { persistent: false });
  }

  forward(input: Tensor): Tensor {
    const length = input.shape[input.ndim - 2];
    if (length > this.maxLength) throw new RangeError(`SinusoidalPositionalEmbedding: sequence length ${length} exceeds maxLength ${this.maxLength}`);
    return input.add(this.pe.narrow(0, 0, length));
  }
}

/** Trained positions: an Embedding over position ids; forward(x) adds them to x of shape [batch, seq, d]. */
export class LearnedPositionalEmbedding extends Module {
  declare embedding: Embedding;

  constructor(readonly maxLength: number, readonly embeddingDim: number) {
    super();
    this.registerModule('embedding', new Embedding(maxLength, embeddingDim));
  }

  forward(input: Tensor): Tensor {
    const length = input.shape[input.ndim - 2];
    if (length > this.maxLength) throw new RangeError(`LearnedPositionalEmbedding: sequence length ${length} exceeds maxLength ${this.maxLength}`);
    return scope(() => input.add(this.embedding.forward(arange(length))));
  }
}
