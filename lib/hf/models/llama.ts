// The Llama family as transformers lays it out (LlamaModel under `model`, LlamaForCausalLM's
// lm_head, tied or not): RMSNorm, rotary position embeddings (rotate_half form; scalings in rope.ts), SwiGLU MLP and
// grouped-query attention (key/value heads shared by groups of query heads).
import { cat } from '../../core/functions.js';
import { type Tensor } from '../../core/tensor.js';
import { Module } from '../../nn/module.js';
import { ModuleList } from '../../nn/layers/container.js';
import { Embedding } from '../../nn/layers/embedding.js';
import { Linear } from '../../nn/layers/linear.js';
import { RMSNorm } from '../../nn/layers/normalization.js';
import * as F from '../../nn/functional.js';
import { lookup } from '../../models/inputs.js';
import { type LlamaHfConfig } from '../config.js';
import { checkpoint } from '../../nn/checkpoint.js';
import { rotaryEmbedding } from './rope.js';
import { activation, causalMask, checkInputs, type CheckpointableStack, dtypeMin, type HfInputs, HfPretrainedModule, initHead, paddingMask, type PretrainedModel } from './common.js';

const headDimOf = (c: LlamaHfConfig): number => c.head_dim ?? c.hidden_size / c.num_attention_heads;

/** cat(-x2, x1) over the halves of the last dim (transformers' rotate_half). */
function rotateHalf(x: Tensor): Tensor {
  const half = x.shape[x.ndim - 1]! / 2;
  return cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
}

export class LlamaAttention extends Module {
  declare qProj: Linear;
  declare kProj: Linear;
  declare vProj: Linear;
  declare oProj: Linear;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;

  constructor(readonly config: LlamaHfConfig) {
    super();
    const c = config, bias = c.attention_bias;
    this.heads = c.num_attention_heads;
    this.kvHeads = c.num_key_value_heads ?? c.num_attention_heads;
    this.headDim = headDimOf(c);
    this.registerModule('q_proj', new Linear(c.hidden_size, this.heads * this.headDim, { bias }), 'qProj');
    this.registerModule('k_proj', new Linear(c.hidden_size, this.kvHeads * this.headDim, { bias }), 'kProj');
    this.registerModule('v_proj', new Linear(c.hidden_size, this.kvHeads * this.headDim, { bias }), 'vProj');
    this.registerModule('o_proj', new Linear(this.heads * this.headDim, c.hidden_size, { bias }), 'oProj');
  }

  forward(x: Tensor, rope: { cos: Tensor; sin: Tensor }, mask: Tensor | null): Tensor {
    const [b, t] = x.shape as [number, number, number];
    const d = this.headDim;
    const q = this.qProj.forward(x).view(b, t, this.heads, d).transpose(1, 2);
    let k = this.kProj.forward(x).view(b, t, this.kvHeads, d).transpose(1, 2);
    let v = this.vProj.forward(x).view(b, t, this.kvHeads, d).transpose(1, 2);
    const cos = rope.cos.to({ dtype: x.dtype }), sin = rope.sin.to({ dtype: x.dtype });
    const qr = q.mul(cos).add(rotateHalf(q).mul(sin));
    k = k.mul(cos).add(rotateHalf(k).mul(sin));
    if (this.kvHeads !== this.heads) {
      // Grouped-query attention: each key/value head serves heads / kvHeads consecutive query heads (repeat_kv).
      const groups = this.heads / this.kvHeads;
      k = k.repeatInterleave(groups, 1);
      v = v.repeatInterleave(groups, 1);
    }
    const dropoutP = this.training ? this.config.attention_dropout : 0;
    const out = mask ? F.scaledDotProductAttention(qr, k, v, { attnMask: mask, dropoutP }) : F.scaledDotProductAttention(qr, k, v, { isCausal: true, dropoutP });
    return this.oProj.forward(out.transpose(1, 2).reshape(b, t, this.heads * d));
  }
}

/** SwiGLU: down_proj(act(gate_proj(x)) * up_proj(x)). */
export class LlamaMLP extends Module {
  declare gateProj: Linear;
  declare upProj: Linear;
  declare downProj: Linear;
  declare private readonly act: (x: Tensor) => Tensor;

  constructor(config: LlamaHfConfig) {
    super();
    const c = config, bias = c.mlp_bias;
    this.registerModule('gate_proj', new Linear(c.hidden_size, c.intermediate_size, { bias }), 'gateProj');
    this.registerModule('up_proj', new Linear(c.hidden_size, c.intermediate_size, { bias }), 'upProj');
    this.registerModule('down_proj', new Linear(c.intermediate_size, c.hidden_size, { bias }), 'downProj');
    Object.defineProperty(this, 'act', { value: activation(c.hidden_act), enumerable: false });
  }

  forward(x: Tensor): Tensor {
    return this.downProj.forward(this.act(this.gateProj.forward(x)).mul(this.upProj.forward(x)));
  }
}

export class LlamaDecoderLayer extends Module {
  declare selfAttn: LlamaAttention;
  declare mlp: LlamaMLP;
  declare inputLayernorm: RMSNorm;
  declare postAttentionLayernorm: RMSNorm;

  constructor(config: LlamaHfConfig) {
    super();
    this.registerModule('self_attn', new LlamaAttention(config), 'selfAttn');
    this.mlp = new LlamaMLP(config);
    this.registerModule('input_layernorm', new RMSNorm(config.hidden_size, { eps: config.rms_norm_eps }), 'inputLayernorm');
    this.registerModule('post_attention_layernorm', new RMSNorm(config.hidden_size, { eps: config.rms_norm_eps }), 'postAttentionLayernorm');
  }

  forward(x: Tensor, rope: { cos: Tensor; sin: Tensor }, mask: Tensor | null): Tensor {
    const h = x.add(this.selfAttn.forward(this.inputLayernorm.forward(x), rope, mask));
    return h.add(this.mlp.forward(this.postAttentionLayernorm.forward(h)));
  }
}

/** transformers' LlamaModel: embed_tokens, layers.N, norm -> the last hidden states [B, T, hidden_size]. */
export class LlamaModel extends HfPretrainedModule implements PretrainedModel, CheckpointableStack {
  readonly architecture = 'LlamaModel';
  readonly tiedWeights = {};
  readonly basePrefix = '';
  readonly supportsGradientCheckpointing = true;
  /** Recompute each block's activations in backward while training (gradientCheckpointingEnable()). */
  gradientCheckpointing = false;
  declare embedTokens: Embedding;
  declare layers: ModuleList;
  declare norm: RMSNorm;

  constructor(readonly config: LlamaHfConfig) {
    super();
    const c = config;
    this.registerModule('embed_tokens', new Embedding(c.vocab_size, c.hidden_size, { paddingIdx: typeof c.pad_token_id === 'number' ? c.pad_token_id : null }), 'embedTokens');
    this.layers = new ModuleList(Array.from({ length: c.num_hidden_layers }, () => new LlamaDecoderLayer(c)));
    this.norm = new RMSNorm(c.hidden_size, { eps: c.rms_norm_eps });
    initHead(this, c.initializer_range);
  }

  get hfConfig(): Record<string, unknown> {
    return this.config;
  }

  /** inputIds [B, T] -> hidden states [B, T, hidden_size]; attentionMask hides padded keys on top of the causal mask. */
  forward(inputIds: Tensor, inputs?: HfInputs): Tensor {
    const { ids, mask } = checkInputs(`${this.architecture}.forward`, inputIds, inputs, this.config.max_position_embeddings);
    const t = ids.shape[1];
    let x = lookup(this.embedTokens, ids, 'LlamaModel', 'inputIds', 'vocab_size');
    const rope = rotaryEmbedding(t, headDimOf(this.config), this.config, ids.device);
    const additive = mask ? causalMask(t, x.dtype, ids.device).add(paddingMask(mask, x.dtype)).clampMin(dtypeMin(x.dtype)) : null;
    const recompute = this.gradientCheckpointing && this.training;
    for (const layer of this.layers.children() as LlamaDecoderLayer[]) {
      // cos, sin and the mask are inputs of the checkpoint so that they live until the recomputation in backward.
      x = !recompute ? layer.forward(x, rope, additive)
        : additive ? checkpoint((h, cos, sin, m) => layer.forward(h, { cos, sin }, m), [x, rope.cos, rope.sin, additive])
        : checkpoint((h, cos, sin) => layer.forward(h, { cos, sin }, null), [x, rope.cos, rope.sin]);
    }
    return this.norm.forward(x);
  }
}

/** transformers' LlamaForCausalLM: model (LlamaModel) and lm_head (tied to embed_tokens when tie_word_embeddings). */
export class LlamaForCausalLM extends HfPretrainedModule implements PretrainedModel {
  readonly architecture = 'LlamaForCausalLM';
  readonly basePrefix = 'model';
  declare model: LlamaModel;
  declare lmHead: Linear;

  constructor(readonly config: LlamaHfConfig) {
    super();
    this.model = new LlamaModel(config);
    this.registerModule('lm_head', new Linear(config.hidden_size, config.vocab_size, { bias: false }), 'lmHead');
    if (config.tie_word_embeddings) {
      this.lmHead.weight.dispose();
      this.lmHead.weight = this.model.embedTokens.weight;
    } else initHead(this.lmHead, config.initializer_range);
  }

  get tiedWeights(): Record<string, string> {
    return this.config.tie_word_embeddings ? { 'lm_head.weight': 'model.embed_tokens.weight' } : {};
  }

  get hfConfig(): Record<string, unknown> {
    return this.config;
  }

  /** inputIds [B, T] -> next-token logits [B, T, vocab_size]. */
  forward(inputIds: Tensor, inputs?: HfInputs): Tensor {
    return this.lmHead.forward(this.model.forward(inputIds, inputs));
  }
}

