// The rules of the default collate, kept apart from the code that applies them: which fields hold
// token ids, which dtype a field becomes, and what each sequence field is padded with (when a
// sample counts as empty: empty-samples.ts). Worker threads load this (no tensor core imports).
import { z } from 'zod';
import { formatZodError } from '../core/validation.js';
import type { DType } from '../core/dtype.js';
import type { TaskSpec } from '../task/spec.js';
import { DataError } from './errors.js';

/** The parts of a TaskSpec the collate reads (a whole TaskSpec fits). */
export interface CollateTask {
  type: TaskSpec['type'] | string;
  modality?: string;
  fields?: Partial<TaskSpec['fields']>;
  padTokenId?: number;
  ignoreIndex?: number;
}

export interface CollateOptions {
  /** A TaskSpec: fills in `fields`, `padTokenId`, `ignoreIndex` and which labels are ids. */
  task?: CollateTask;
  /** Field names; TaskSpec's defaults (input_ids, labels, attention_mask) otherwise. */
  fields?: { inputs?: string | Record<string, string>; labels?: string; attentionMask?: string };
  /** Pads the inputs field (required once inputs of different lengths meet). */
  padTokenId?: number;
  /** Pads the labels field, so the loss skips the padding; -100 (PyTorch's default) if unset. */
  ignoreIndex?: number;
  /** Pad values of other variable-length fields, by (dotted) field name. */
  padValues?: Record<string, number | boolean>;
  /** Rounds padded lengths up to a multiple (8 suits tensor cores). */
  padToMultipleOf?: number;
  /** Where padding goes; 'right' (default) or 'left' (for batched generation). */
  paddingSide?: 'right' | 'left';
  /** Explicit dtypes by (dotted) field name; they win over every other rule. */
  dtypes?: Record<string, DType>;
  /** Fields of integer ids (int64); replaces the default list (see idFieldsOf). */
  idFields?: string[];
  /** Build the attention mask for the inputs field (default true; samples that carry one keep theirs). */
  attentionMask?: boolean;
  /** Drop samples with a zero-length sequence field (default true), with a counted warning. */
  filterEmpty?: boolean;
  /** Dataset indices of the samples, for error messages (the DataLoader passes them). */
  indices?: number[];
}

const DTYPE_NAMES = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'] as const;

const schema = z.object({
  task: z.object({
    type: z.string(),
    fields: z.object({ inputs: z.union([z.string(), z.record(z.string(), z.string())]), labels: z.string(), attentionMask: z.string() }).partial().optional(),
    padTokenId: z.number().int().optional(),
    ignoreIndex: z.number().int().optional(),
    modality: z.string().optional(),
  }).loose().optional(),
  fields: z.object({ inputs: z.union([z.string().min(1), z.record(z.string(), z.string().min(1))]), labels: z.string().min(1), attentionMask: z.string().min(1) }).partial().strict().optional(),
  padTokenId: z.number().int().optional(),
  ignoreIndex: z.number().int().optional(),
  padValues: z.record(z.string(), z.union([z.number(), z.boolean()])).optional(),
  padToMultipleOf: z.number().int().positive().optional(),
  paddingSide: z.enum(['right', 'left']).optional(),
  dtypes: z.record(z.string(), z.enum(DTYPE_NAMES)).optional(),
  idFields: z.array(z.string()).optional(),
  attentionMask: z.boolean().optional(),
  filterEmpty: z.boolean().optional(),
  indices: z.array(z.number()).optional(),
}).strict();

/** CollateOptions checked, with every default filled in. */
export interface CollateRules {
  /** The token-id field the attention mask describes (the text field of a multimodal task). */
  inputs: string | undefined;
  labels: string;
  attentionMask: string;
  padTokenId: number | undefined;
  ignoreIndex: number;
  padValues: Record<string, number | boolean>;
  padToMultipleOf: number | undefined;
  left: boolean;
  dtypes: Record<string, DType>;
  idFields: Set<string>;
  buildMask: boolean;
  filterEmpty: boolean;
  indices: number[] | undefined;
}

/** Task types whose labels are real numbers, not class or token ids. */
const FLOAT_LABEL_TASKS = new Set(['regression', 'multilabel_classification']);

export function resolveCollateOptions(options: CollateOptions = {}, who = 'defaultCollate'): CollateRules {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    throw new TypeError(`${who} options: ${formatZodError(parsed.error, options, { root: '(options)' }).join('; ')}`);
  }
  const o = parsed.data;
  const task = o.task;
  const inputsSpec = o.fields?.inputs ?? task?.fields?.inputs ?? (task?.modality === 'vision' ? 'pixel_values' : 'input_ids');
  // A multimodal task names its inputs by role; the text role is the one with token ids.
  const inputs = typeof inputsSpec === 'string' ? (task?.modality === 'vision' || task?.modality === 'tabular' ? undefined : inputsSpec) : inputsSpec.texts ?? inputsSpec.text;
  const labels = o.fields?.labels ?? task?.fields?.labels ?? 'labels';
  const attentionMask = o.fields?.attentionMask ?? task?.fields?.attentionMask ?? 'attention_mask';
  const idFields = new Set(o.idFields ?? [
    ...(inputs ? [inputs] : []),
    attentionMask,
    'token_type_ids',
    'position_ids',
    ...(task && FLOAT_LABEL_TASKS.has(task.type) ? [] : [labels]),
  ]);
  return {
    inputs,
    labels,
    attentionMask,
    padTokenId: o.padTokenId ?? task?.padTokenId,
    ignoreIndex: o.ignoreIndex ?? task?.ignoreIndex ?? -100,
    padValues: o.padValues ?? {},
    padToMultipleOf: o.padToMultipleOf,
    left: o.paddingSide === 'left',
    dtypes: o.dtypes ?? {},
    idFields,
    buildMask: o.attentionMask ?? true,
    filterEmpty: o.filterEmpty ?? true,
    indices: o.indices,
  };
}

/** What a batch position is called in messages: 'sample 3 (dataset index 1204)'. */
export function sampleName(rules: Pick<CollateRules, 'indices'>, position: number): string {
  const index = rules.indices?.[position];
  return index === undefined ? `sample ${position}` : `sample ${position} (dataset index ${index})`;
}

export function dataError(rules: Pick<CollateRules, 'indices'>, field: string, position: number, problem: string): DataError {
  const name = field === '' ? 'the sample' : `field '${field}'`;
  return new DataError(`collate: ${name}: ${sampleName(rules, position)} ${problem}`, {
    field: field || undefined,
    sampleIndex: position,
    datasetIndex: rules.indices?.[position],
  });
}

/** The element kinds a sequence can hold; typed arrays name their own. */
export type ElementKind = 'number' | 'bigint' | 'boolean' | 'float32' | 'float64' | 'uint8' | 'int' | 'bigint64' | 'empty';

export function typedArrayKind(v: ArrayBufferView): ElementKind | undefined {
  if (v instanceof Float32Array) return 'float32';
  if (v instanceof Float64Array) return 'float64';
  if (v instanceof Uint8Array || v instanceof Uint8ClampedArray) return 'uint8';
  if (v instanceof Int8Array || v instanceof Int16Array || v instanceof Int32Array || v instanceof Uint16Array || v instanceof Uint32Array) return 'int';
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return 'bigint64';
  return undefined;
}

/**
 * The dtype rules, in order:
 * 1. `dtypes[field]`, when given;
 * 2. an id field (the inputs, attention mask, token_type_ids, position_ids, and the labels unless
 *    the task is regression or multilabel) is int64, whatever holds it (numbers must be integers);
 * 3. otherwise by value: boolean -> bool; bigint, BigInt64Array and the other integer typed
 *    arrays -> int64; Uint8Array -> uint8 (image bytes); Float64Array -> float64;
 *    Float32Array and plain numbers -> float32 (JavaScript cannot tell 1 from 1.0).
 */
export function dtypeFor(rules: CollateRules, field: string, kind: ElementKind): DType {
  const declared = rules.dtypes[field];
  if (declared) return declared;
  if (rules.idFields.has(field)) return 'int64';
  switch (kind) {
    case 'boolean': return 'bool';
    case 'bigint': case 'bigint64': case 'int': return 'int64';
    case 'uint8': return 'uint8';
    case 'float64': return 'float64';
    default: return 'float32';
  }
}

/** What padding a field takes: a value, or why it has none (for the error). */
export function padValueFor(rules: CollateRules, field: string): { value: number | boolean } | { missing: string } {
  if (field in rules.padValues) return { value: rules.padValues[field]! };
  if (field === rules.inputs) {
    return rules.padTokenId === undefined
      ? { missing: `no padTokenId is set; fix: pass padTokenId (the tokenizer's padding id), or a TaskSpec with padTokenId` }
      : { value: rules.padTokenId };
  }
  if (field === rules.labels) return { value: rules.ignoreIndex };
  if (field === rules.attentionMask) return { value: 0 };
  return { missing: `no pad value is known for it; fix: pass padValues: { '${field}': <value> }, or make its lengths equal` };
}

/** Whether a field is a padded sequence (padToMultipleOf applies to it even when lengths agree). */
export function isPaddedField(rules: CollateRules, field: string): boolean {
  return field === rules.inputs || field === rules.labels || field === rules.attentionMask || field in rules.padValues;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export { isPlainObject };
