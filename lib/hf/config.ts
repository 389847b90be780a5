// config.json of a Hugging Face model folder: the fields lib/hf builds BERT and GPT-2 models
// from, checked with zod under transformers' own names (hidden_size, n_embd, ...). Every other
// field is kept as it was, so savePretrained writes back what it read.
import { z } from 'zod';
import { parseOrThrow, type ValidationIssue } from '../core/validation.js';

/** config.json describes a model lib/hf cannot build; the message names the field and the fix. */
export class HfConfigError extends Error {
  constructor(readonly where: string, readonly issues: string[]) {
    super(`${where}: config.json cannot be built:\n  ${issues.join('\n  ')}`);
    this.name = 'HfConfigError';
  }
}

const positiveInt = () => z.int().positive();
const probability = () => z.number().min(0).lt(1);
const labels = z.record(z.string(), z.string()).optional();

/** Activations transformers names in hidden_act / activation_function that lib/hf implements. */
export const ACTIVATIONS = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'relu', 'silu', 'swish', 'tanh'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const bertConfigSchema = z.looseObject({
  model_type: z.literal('bert').optional(),
  vocab_size: positiveInt(),
  hidden_size: positiveInt(),
  num_hidden_layers: positiveInt(),
  num_attention_heads: positiveInt(),
  intermediate_size: positiveInt(),
  hidden_act: z.enum(ACTIVATIONS).default('gelu'),
  hidden_dropout_prob: probability().default(0.1),
  attention_probs_dropout_prob: probability().default(0.1),
  max_position_embeddings: positiveInt().default(512),
  type_vocab_size: positiveInt().default(2),
  layer_norm_eps: z.number().positive().default(1e-12),
  initializer_range: z.number().positive().default(0.02),
  pad_token_id: z.int().nonnegative().nullable().optional(),
  position_embedding_type: z.literal('absolute').default('absolute'),
  classifier_dropout: probability().nullable().optional(),
  problem_type: z.enum(['single_label_classification', 'multi_label_classification', 'regression']).nullable().optional(),
  num_labels: positiveInt().optional(),
  id2label: labels,
  label2id: z.record(z.string(), z.int()).optional(),
  is_decoder: z.literal(false).optional(),
  add_cross_attention: z.literal(false).optional(),
}).superRefine((c, ctx) => {
  if (c.hidden_size % c.num_attention_heads !== 0) {
    ctx.addIssue({ code: 'custom', path: ['num_attention_heads'], message: `must divide hidden_size (${c.hidden_size}), got ${c.num_attention_heads}` });
  }
});
export type BertHfConfig = z.output<typeof bertConfigSchema>;

export const gpt2ConfigSchema = z.looseObject({
  model_type: z.literal('gpt2').optional(),
  vocab_size: positiveInt(),
  n_positions: positiveInt(),
  n_embd: positiveInt(),
  n_layer: positiveInt(),
  n_head: positiveInt(),
  n_inner: positiveInt().nullable().optional(),
  activation_function: z.enum(ACTIVATIONS).default('gelu_new'),
  resid_pdrop: probability().default(0.1),
  embd_pdrop: probability().default(0.1),
  attn_pdrop: probability().default(0.1),
  layer_norm_epsilon: z.number().positive().default(1e-5),
  initializer_range: z.number().positive().default(0.02),
  scale_attn_weights: z.literal(true, { message: 'lib/hf builds GPT-2 with scale_attn_weights: true only' }).default(true),
  scale_attn_by_inverse_layer_idx: z.literal(false, { message: 'lib/hf does not implement scale_attn_by_inverse_layer_idx; set it to false' }).default(false),
  reorder_and_upcast_attn: z.boolean().default(false),
  tie_word_embeddings: z.boolean().default(true),
  add_cross_attention: z.literal(false).optional(),
}).superRefine((c, ctx) => {
  if (c.n_embd % c.n_head !== 0) ctx.addIssue({ code: 'custom', path: ['n_head'], message: `must divide n_embd (${c.n_embd}), got ${c.n_head}` });
});
export type Gpt2HfConfig = z.output<typeof gpt2ConfigSchema>;

/** Parses config.json's object for one family; `where` names the folder in the error. */
export function parseHfConfig<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.output<S> {
  return parseOrThrow(schema, raw, (issues: ValidationIssue[]) => new HfConfigError(where, issues.map((i) => i.text)), { root: '(config.json)' });
}

/** The number of labels of a classification config: num_labels, else id2label's size, else 2 (transformers' default). */
export function numLabelsOf(config: { num_labels?: number; id2label?: Record<string, string> }): number {
  if (config.num_labels !== undefined) return config.num_labels;
  if (config.id2label) return Object.keys(config.id2label).length;
  return 2;
}

/** The rotary scalings lib/hf computes as transformers 5 does (modeling_rope_utils.py). */
export const ROPE_TYPES = ['default', 'linear', 'dynamic', 'llama3', 'yarn'] as const;
const ropeType = z.enum(ROPE_TYPES, {
  error: (issue) => `rotary scaling ${JSON.stringify(issue.input)} is not implemented (lib/hf computes ${ROPE_TYPES.join(', ')}); use a model with one of those, or fine-tune it in Python`,
});
/** What each rope_type needs besides rope_theta (transformers' _validate_<type>_rope_parameters). */
const ROPE_REQUIRED: Record<string, string[]> = { linear: ['factor'], dynamic: ['factor'], llama3: ['factor', 'low_freq_factor', 'high_freq_factor'], yarn: [] };

/** rope_parameters (transformers 5) or rope_scaling (4.x): the type (`rope_type`, or `type` in old files) and its numbers. */
export const ropeParametersSchema = z.looseObject({
  rope_type: ropeType.optional(),
  type: ropeType.optional(),
  rope_theta: z.number().positive().optional(),
  factor: z.number().positive().optional(),
  low_freq_factor: z.number().positive().optional(),
  high_freq_factor: z.number().positive().optional(),
  original_max_position_embeddings: positiveInt().optional(),
  attention_factor: z.number().positive().optional(),
  beta_fast: z.number().positive().optional(),
  beta_slow: z.number().positive().optional(),
  mscale: z.number().optional(),
  mscale_all_dim: z.number().optional(),
  truncate: z.boolean().optional(),
  partial_rotary_factor: z.literal(1, { message: 'lib/hf rotates the whole head (partial_rotary_factor 1) only' }).optional(),
}).superRefine((r, ctx) => {
  const type = r.rope_type ?? r.type ?? 'default';
  for (const key of ROPE_REQUIRED[type] ?? []) {
    if ((r as Record<string, unknown>)[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `rope_type '${type}' needs ${key} (transformers requires it too)` });
  }
  if (type === 'llama3' && r.low_freq_factor !== undefined && r.high_freq_factor !== undefined && r.high_freq_factor <= r.low_freq_factor) {
    ctx.addIssue({ code: 'custom', path: ['high_freq_factor'], message: `must be greater than low_freq_factor (${r.low_freq_factor})` });
  }
});
export type RopeParameters = z.output<typeof ropeParametersSchema>;

export const llamaConfigSchema = z.looseObject({
  model_type: z.literal('llama').optional(),
  vocab_size: positiveInt(),
  hidden_size: positiveInt(),
  intermediate_size: positiveInt(),
  num_hidden_layers: positiveInt(),
  num_attention_heads: positiveInt(),
  num_key_value_heads: positiveInt().nullable().optional(),
  head_dim: positiveInt().nullable().optional(),
  hidden_act: z.enum(ACTIVATIONS).default('silu'),
  max_position_embeddings: positiveInt().default(2048),
  initializer_range: z.number().positive().default(0.02),
  rms_norm_eps: z.number().positive().default(1e-6),
  tie_word_embeddings: z.boolean().default(false),
  attention_bias: z.boolean().default(false),
  mlp_bias: z.boolean().default(false),
  attention_dropout: probability().default(0),
  pretraining_tp: z.literal(1, { message: 'lib/hf builds Llama with pretraining_tp: 1 only (it changes no weights; set it to 1)' }).default(1),
  // transformers 5 keeps rotary settings in rope_parameters; 4.x in rope_theta and rope_scaling.
  rope_parameters: ropeParametersSchema.nullable().optional(),
  rope_theta: z.number().positive().optional(),
  rope_scaling: ropeParametersSchema.nullable().optional(),
}).superRefine((c, ctx) => {
  const kv = c.num_key_value_heads ?? c.num_attention_heads;
  if (c.num_attention_heads % kv !== 0) ctx.addIssue({ code: 'custom', path: ['num_key_value_heads'], message: `must divide num_attention_heads (${c.num_attention_heads}), got ${kv}` });
  if (c.head_dim == null && c.hidden_size % c.num_attention_heads !== 0) {
    ctx.addIssue({ code: 'custom', path: ['num_attention_heads'], message: `must divide hidden_size (${c.hidden_size}) when head_dim is not given, got ${c.num_attention_heads}` });
  }
  if ((c.head_dim ?? c.hidden_size / c.num_attention_heads) % 2 !== 0) ctx.addIssue({ code: 'custom', path: ['head_dim'], message: 'must be even for rotary embeddings' });
});
export type LlamaHfConfig = z.output<typeof llamaConfigSchema>;
