// BERT's masked-LM collate (Devlin et al. 2018, and Hugging Face's DataCollatorForLanguageModeling):
// pad the batch, select each real, non-special token with probability maskProbability; of the
// selected, 80% become [MASK], 10% a random token, 10% stay as they are; labels hold the
// original ids at selected positions and ignoreIndex everywhere else, so the loss counts only them.
import { z } from 'zod';
import { formatZodError } from '../core/validation.js';
import { torch } from '../core/torch.js';
import type { Batch } from '../loss/types.js';
import type { TaskSpec } from '../task/spec.js';
import type { CollateContext, CollateFn } from './collate.js';
import { plainToTensors } from './collate.js';
import { collatePlain, type PlainTensor } from './collate-plain.js';
import { resolveCollateOptions } from './collate-rules.js';
import { DataError } from './errors.js';
import { SeededRandom } from './random.js';

export interface MaskedLmCollateOptions {
  /** Fills maskTokenId, vocabSize, maskProbability, padTokenId, ignoreIndex and field names. */
  task?: TaskSpec;
  maskTokenId?: number;
  vocabSize?: number;
  /** The share of real, non-special tokens selected (BERT: 0.15). */
  maskProbability?: number;
  padTokenId?: number;
  ignoreIndex?: number;
  /** Ids never selected ([CLS], [SEP], ...); padding and the mask id are never selected either. */
  specialTokenIds?: number[];
  /** Seeds this collate's own generator, advanced batch by batch; without it each batch draws a seed from torch's generator (torch.manualSeed). */
  seed?: number;
  fields?: { inputs?: string; labels?: string; attentionMask?: string };
  padToMultipleOf?: number;
  paddingSide?: 'right' | 'left';
}

const schema = z.object({
  maskTokenId: z.number().int().min(0),
  vocabSize: z.number().int().positive(),
  maskProbability: z.number().gt(0).lt(1),
  padTokenId: z.number().int().min(0).optional(),
  ignoreIndex: z.number().int(),
  specialTokenIds: z.array(z.number().int()),
  seed: z.number().int().optional(),
}).refine((o) => o.maskTokenId < o.vocabSize, { message: 'maskTokenId must be below vocabSize', path: ['maskTokenId'] });

// BERT's split of the selected tokens.
const TO_MASK = 0.8;
const TO_RANDOM = 0.1;

/** A collate function for masked-LM batches: { input_ids, attention_mask, labels } as int64 tensors. */
export function maskedLmCollate<T = unknown>(options: MaskedLmCollateOptions): CollateFn<T, Batch> {
  const task = options.task;
  const input = {
    maskTokenId: options.maskTokenId ?? task?.maskTokenId,
    vocabSize: options.vocabSize ?? task?.vocabSize,
    maskProbability: options.maskProbability ?? task?.maskProbability ?? 0.15,
    padTokenId: options.padTokenId ?? task?.padTokenId,
    ignoreIndex: options.ignoreIndex ?? task?.ignoreIndex ?? -100,
    specialTokenIds: options.specialTokenIds ?? [],
    seed: options.seed,
  };
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new TypeError(`maskedLmCollate options: ${formatZodError(parsed.error, input, { root: '(options)' }).join('; ')}`);
  const o = parsed.data;
  const base = {
    task: task ? { type: task.type, fields: task.fields, modality: task.modality } : undefined,
    fields: options.fields,
    padTokenId: o.padTokenId,
    ignoreIndex: o.ignoreIndex,
    padToMultipleOf: options.padToMultipleOf,
    paddingSide: options.paddingSide,
  };
  const rulesFor = (indices?: number[]) => resolveCollateOptions({ ...base, indices, filterEmpty: false }, 'maskedLmCollate');
  const probe = rulesFor();
  const inputs = probe.inputs;
  if (!inputs) throw new TypeError('maskedLmCollate: the task has no token-id inputs field to mask');
  const never = new Set([...o.specialTokenIds, o.maskTokenId, ...(o.padTokenId === undefined ? [] : [o.padTokenId])]);
  const ownRng = o.seed === undefined ? undefined : new SeededRandom(o.seed);

  return (samples: T[], context?: CollateContext) => {
    const rules = rulesFor(context?.indices);
    samples.forEach((s, i) => {
      if (s && typeof s === 'object' && rules.labels in (s as object)) {
        throw new DataError(`maskedLmCollate: sample ${i} already has a '${rules.labels}' field; this collate makes the labels (use labels: 'none' for a TextCorpus)`, { field: rules.labels, sampleIndex: i });
      }
    });
    const plain = collatePlain(samples, rules);
    const fields = plain.value?.kind === 'dict' ? plain.value.fields : undefined;
    const ids = fields?.[inputs];
    if (!fields || ids?.kind !== 'tensor' || ids.shape.length !== 2) {
      throw new DataError(`maskedLmCollate: samples need a '${inputs}' field of token ids (one sequence per sample)`, { field: inputs });
    }
    const mask = fields[rules.attentionMask];
    const rng = ownRng ?? new SeededRandom(drawSeed());
    fields[rules.labels] = applyMasking(ids, mask?.kind === 'tensor' ? mask : undefined, rng, never, o);
    return plainToTensors(plain, rules) as Batch;
  };
}

/** A seed from torch's generator, so torch.manualSeed makes unseeded masking repeatable. */
function drawSeed(): number {
  const t = torch.randint(0, 0x7fffffff, [1]);
  try {
    return t.item();
  } finally {
    t.dispose();
  }
}

function applyMasking(ids: PlainTensor, attention: PlainTensor | undefined, rng: SeededRandom, never: Set<number>,
  o: { maskTokenId: number; vocabSize: number; maskProbability: number; ignoreIndex: number }): PlainTensor {
  const n = ids.data.length;
  const labels = new Float64Array(n).fill(o.ignoreIndex);
  const big = ids.data instanceof BigInt64Array;
  for (let i = 0; i < n; i++) {
    if (attention && Number(attention.data[i]) === 0) continue;
    const id = Number(ids.data[i]);
    if (never.has(id)) continue;
    if (rng.nextFloat() >= o.maskProbability) continue;
    labels[i] = id;
    const r = rng.nextFloat();
    const replacement = r < TO_MASK ? o.maskTokenId : r < TO_MASK + TO_RANDOM ? rng.nextInt(o.vocabSize) : id;
    if (big) (ids.data as BigInt64Array)[i] = BigInt(replacement);
    else (ids.data as Float64Array)[i] = replacement;
  }
  return { kind: 'tensor', dtype: 'int64', shape: [...ids.shape], data: labels };
}
