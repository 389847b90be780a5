// TrainingConfig: every knob of a Trainer run, checked by zod (versioned so saved configs can
// be migrated). Defaults follow the Hugging Face Trainer where it has one: AdamW, a OneCycle
// schedule whose warmup is warmupRatio of the run, fp32 on the best available device.
import { z } from 'zod';
import { parseOrThrow } from '../core/validation.js';

const optimizer = z.object({
  name: z.enum(['adamw', 'sgd']).default('adamw'),
  lr: z.number().positive().default(1e-3),
  weightDecay: z.number().min(0).default(0.01),
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
  eps: z.number().positive().default(1e-8),
  momentum: z.number().min(0).default(0),
  nesterov: z.boolean().default(false),
  /** No weight decay on biases and normalisation parameters (nanoGPT and HF practice). */
  noDecayOnBiasAndNorm: z.boolean().default(true),
}).strict();

const schedule = z.object({
  name: z.enum(['onecycle', 'warmup_cosine', 'warmup_linear', 'warmup_constant', 'step', 'constant']).default('onecycle'),
  /** Fraction of the optimizer steps spent warming up (OneCycle's pctStart). */
  warmupRatio: z.number().min(0).max(1).default(0.1),
  warmupSteps: z.number().int().min(0).optional(),
  minLrRatio: z.number().min(0).max(1).default(0),
  divFactor: z.number().positive().default(25),
  finalDivFactor: z.number().positive().default(1e4),
  stepSize: z.number().int().positive().default(1000),
  gamma: z.number().positive().default(0.1),
}).strict();

export const trainingConfigSchema = z.object({
  version: z.literal(1).default(1),
  maxEpochs: z.number().int().positive().optional(),
  maxSteps: z.number().int().positive().optional(),
  /** Validate every N optimizer steps (besides at each epoch end when evalAtEpochEnd). */
  evalEveryNSteps: z.number().int().positive().optional(),
  evalAtEpochEnd: z.boolean().default(true),
  gradientAccumulationSteps: z.number().int().positive().default(1),
  /** Clip the total gradient norm to this; off when absent. */
  maxGradNorm: z.number().positive().optional(),
  precision: z.enum(['fp32', 'bf16-mixed', 'fp16-mixed']).default('fp32'),
  device: z.string().regex(/^(auto|cpu|cuda(:\d+)?)$/, "use 'auto', 'cpu', 'cuda' or 'cuda:N'").default('auto'),
  seed: z.number().int().min(0).default(0),
  optimizer: optimizer.prefault({}),
  schedule: schedule.prefault({}),
  logEveryNSteps: z.number().int().positive().default(10),
  /**
   * Stop (NonFiniteError) after this many optimizer updates in a row with inf/NaN gradients,
   * checked every logEveryNSteps; 0 never stops. Under a GradScaler only skips at a scale <= 1 count.
   */
  maxConsecutiveNonFinite: z.number().int().min(0).default(3),
  /**
   * Data-parallel training: 'auto' (default) trains data-parallel when a process group of 2+
   * ranks is initialized before the Trainer is made (distributed.initProcessGroup); 'off' trains
   * each process on its own (no collectives). An object is 'auto' with options: { overlap: false }
   * all-reduces the gradients after backward instead of during it (default true: overlapped).
   */
  distributed: z.union([z.enum(['auto', 'off']), z.strictObject({ overlap: z.boolean().default(true) })]).default('auto'),
  /** Named extensions (engine plugins) to enable. */
  extensions: z.array(z.string()).default([]),
  /** Profile train and val data at fit start and warn on drift (trainer.dataProfiles); { maxSamples } sets the sample size (default 5000). */
  profileData: z.union([z.boolean(), z.object({ maxSamples: z.number().int().positive().default(5000) }).strict()]).default(true),
}).strict().refine((c) => c.maxEpochs !== undefined || c.maxSteps !== undefined, { message: 'set maxEpochs or maxSteps (or both)', path: ['maxEpochs'] });

export type TrainingConfigInput = z.input<typeof trainingConfigSchema>;
export type TrainingConfig = z.output<typeof trainingConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid training config:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Checks a config and fills in the defaults; errors name each bad field, what was given and the fix. */
export function parseTrainingConfig(input: unknown): TrainingConfig {
  return parseOrThrow(trainingConfigSchema, input ?? {}, (issues) => new ConfigError(issues.map((i) => i.text)),
    { root: '(config)', known: { owner: 'the training config', keys: Object.keys(trainingConfigSchema.shape) } });
}
