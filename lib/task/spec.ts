// TaskSpec: what is being trained, so the engine needs no hard-coded assumptions. It names the
// task type, the modality, the batch fields, token ids, classes and the loss and metrics, and
// the unit that normalises the loss under gradient accumulation. Checked by zod; an invalid
// spec is a TaskSpecError naming the field, what was expected, what was given and the fix.
import { z } from 'zod';
import { formatZodError } from '../core/validation.js';
import { metricNameIssues } from '../metrics/names.js';

export const TASK_TYPES = ['causal_lm', 'masked_lm', 'seq_classification', 'token_classification', 'image_classification',
  'multilabel_classification', 'regression', 'contrastive'] as const;
export type TaskType = (typeof TASK_TYPES)[number];
export type Modality = 'text' | 'vision' | 'multimodal' | 'tabular';
export type NormalizeBy = 'tokens' | 'samples' | 'pairs';

const TEXT: TaskType[] = ['causal_lm', 'masked_lm', 'seq_classification', 'token_classification'];

const fields = z.object({
  /** The model's input field (e.g. 'input_ids', 'pixel_values'), or several by role for multimodal tasks. */
  inputs: z.union([z.string().min(1), z.record(z.string(), z.string().min(1))]).optional(),
  labels: z.string().min(1).optional(),
  attentionMask: z.string().min(1).optional(),
}).strict();

const schema = z.object({
  type: z.enum(TASK_TYPES),
  modality: z.enum(['text', 'vision', 'multimodal', 'tabular']).optional(),
  fields: fields.default({}),
  padTokenId: z.number().int().min(0).optional(),
  ignoreIndex: z.number().int().default(-100),
  vocabSize: z.number().int().positive().optional(),
  numClasses: z.number().int().positive().optional(),
  maskTokenId: z.number().int().min(0).optional(),
  maskProbability: z.number().gt(0).lt(1).default(0.15),
  loss: z.object({ name: z.string().min(1), options: z.record(z.string(), z.unknown()).default({}) }).strict().optional(),
  /** Metric names for validation (and the tracker): see lib/metrics/names.ts and README.md; checked per task type. */
  metrics: z.array(z.string().min(1)).optional(),
  normalizeBy: z.enum(['tokens', 'samples', 'pairs']).optional(),
}).strict();

export type TaskSpecInput = z.input<typeof schema>;

/** A checked TaskSpec with every default filled in. */
export interface TaskSpec {
  type: TaskType;
  modality: Modality;
  fields: { inputs: string | Record<string, string>; labels: string; attentionMask: string };
  padTokenId?: number;
  ignoreIndex: number;
  vocabSize?: number;
  numClasses?: number;
  maskTokenId?: number;
  maskProbability: number;
  loss: { name: string; options: Record<string, unknown> };
  metrics: string[];
  normalizeBy: NormalizeBy;
}

export class TaskSpecError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid TaskSpec:\n  ${issues.join('\n  ')}`);
    this.name = 'TaskSpecError';
  }
}

const DEFAULT_LOSS: Record<TaskType, string> = {
  causal_lm: 'causal_lm', masked_lm: 'masked_lm', seq_classification: 'seq_classification', token_classification: 'token_classification',
  image_classification: 'image_classification', multilabel_classification: 'multilabel', regression: 'mse', contrastive: 'clip',
};
const DEFAULT_METRICS: Record<TaskType, string[]> = {
  causal_lm: ['loss', 'perplexity'], masked_lm: ['loss', 'perplexity'], seq_classification: ['loss', 'accuracy', 'f1'],
  token_classification: ['loss', 'accuracy'], image_classification: ['loss', 'accuracy'], multilabel_classification: ['loss', 'f1'],
  regression: ['loss'], contrastive: ['loss', 'recall@1'],
};

/** What to do about the fields users most often get wrong. */
const TASK_SPEC_FIXES: Record<string, string> = {
  type: `use one of ${TASK_TYPES.join(', ')} (or a preset: TaskSpecs.causalLm(...), TaskSpecs.imageClassification(...))`,
  vocabSize: 'set vocabSize to the tokenizer\'s vocabulary size (a positive integer)',
  numClasses: 'set numClasses to the number of classes (a positive integer)',
  padTokenId: 'use the tokenizer\'s padding id (a non-negative integer)',
};

/** Checks a TaskSpec, fills defaults from the task type, and cross-checks the fields each type needs. */
export function parseTaskSpec(input: unknown): TaskSpec {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new TaskSpecError(formatZodError(parsed.error, input, { root: '(spec)', fixes: TASK_SPEC_FIXES }));
  }
  const s = parsed.data;
  const issues: string[] = [];
  const need = (field: keyof typeof s, why: string, fix: string) => {
    if (s[field] === undefined) issues.push(`${String(field)}: required for a ${s.type} task (${why}); given nothing; fix: ${fix}`);
  };
  if (s.type === 'causal_lm' || s.type === 'masked_lm') need('vocabSize', 'the logits have one column per token', 'set vocabSize to the tokenizer\'s vocabulary size');
  if (s.type === 'masked_lm') need('maskTokenId', 'masking replaces tokens with it', 'set maskTokenId to the tokenizer\'s [MASK] id');
  if (['seq_classification', 'token_classification', 'image_classification', 'multilabel_classification'].includes(s.type)) {
    need('numClasses', 'the logits have one column per class', 'set numClasses');
  }
  if (s.maskTokenId !== undefined && s.vocabSize !== undefined && s.maskTokenId >= s.vocabSize) {
    issues.push(`maskTokenId: must be below vocabSize (${s.vocabSize}); given ${s.maskTokenId}; fix: use the tokenizer's [MASK] id`);
  }
  if (s.padTokenId !== undefined && s.vocabSize !== undefined && s.padTokenId >= s.vocabSize) {
    issues.push(`padTokenId: must be below vocabSize (${s.vocabSize}); given ${s.padTokenId}; fix: use the tokenizer's padding id`);
  }
  // Metric names: an unknown one is an error here, not a metric that silently never appears.
  if (s.metrics) issues.push(...metricNameIssues(s.type, s.metrics, s.type === 'causal_lm' || s.type === 'masked_lm' ? s.vocabSize : s.numClasses));
  if (issues.length) throw new TaskSpecError(issues);
  const text = TEXT.includes(s.type);
  const modality: Modality = s.modality ?? (text ? 'text' : s.type === 'image_classification' ? 'vision' : s.type === 'contrastive' ? 'multimodal' : 'tabular');
  const defaultInputs = modality === 'vision' ? 'pixel_values' : modality === 'multimodal' ? { images: 'pixel_values', texts: 'input_ids' } : modality === 'tabular' ? 'features' : 'input_ids';
  return {
    type: s.type,
    modality,
    fields: { inputs: s.fields.inputs ?? defaultInputs, labels: s.fields.labels ?? 'labels', attentionMask: s.fields.attentionMask ?? 'attention_mask' },
    padTokenId: s.padTokenId,
    ignoreIndex: s.ignoreIndex,
    vocabSize: s.vocabSize,
    numClasses: s.numClasses,
    maskTokenId: s.maskTokenId,
    maskProbability: s.maskProbability,
    loss: s.loss ?? { name: DEFAULT_LOSS[s.type], options: {} },
    metrics: s.metrics ?? DEFAULT_METRICS[s.type],
    normalizeBy: s.normalizeBy ?? (s.type === 'causal_lm' || s.type === 'masked_lm' || s.type === 'token_classification' ? 'tokens' : s.type === 'contrastive' ? 'pairs' : 'samples'),
  };
}

type Preset<K extends keyof TaskSpecInput = never> = Omit<TaskSpecInput, 'type' | K> & Required<Pick<TaskSpecInput, K>>;

/** Typed presets: TaskSpecs.causalLm({ vocabSize: 65 }) and so on. */
export const TaskSpecs = {
  causalLm: (o: Preset<'vocabSize'>) => parseTaskSpec({ ...o, type: 'causal_lm' }),
  maskedLm: (o: Preset<'vocabSize' | 'maskTokenId'>) => parseTaskSpec({ ...o, type: 'masked_lm' }),
  sequenceClassification: (o: Preset<'numClasses'>) => parseTaskSpec({ ...o, type: 'seq_classification' }),
  tokenClassification: (o: Preset<'numClasses'>) => parseTaskSpec({ ...o, type: 'token_classification' }),
  imageClassification: (o: Preset<'numClasses'>) => parseTaskSpec({ ...o, type: 'image_classification' }),
  multilabelClassification: (o: Preset<'numClasses'>) => parseTaskSpec({ ...o, type: 'multilabel_classification' }),
  regression: (o: Preset = {}) => parseTaskSpec({ ...o, type: 'regression' }),
  contrastive: (o: Preset = {}) => parseTaskSpec({ ...o, type: 'contrastive' }),
};
