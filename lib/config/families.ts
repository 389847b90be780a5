// createTrainerForModelType: a Trainer for one of the zoo's families from the parts that differ
// between runs (model config, data, training settings); the task, the zoo model, the tokenizer
// and the collate follow from the family, as in the examples:
//   gpt       causal LM (next-token blocks of a text corpus, char tokenizer)   examples/causal-lm.ts
//   dialogue  causal LM on chat turns: a GPT, JSONL records { messages: [{ role, content }] }
//             encoded with the ChatML-like template, the loss on the assistant's turns only
//   bert      masked LM (BERT's masking collate); task { type: 'seq_classification', numClasses }
//             for a classifier                                                examples/masked-lm.ts
//   vit, lenet, resnet  image classification (10 classes unless task.numClasses says)
//   clip      contrastive image-text pairs (CLIP's loss, recall@1)            examples/contrastive.ts
//   mlp       regression on `features` (task { type: 'multilabel_classification', ... } for more)
import type { TrainingConfigInput } from '../engine/config.js';
import type { Trainer } from '../engine/trainer.js';
import { nearestName } from '../core/validation.js';
import { buildRun, type BuildRunOptions, type BuiltRun } from './factory.js';
import type { RunConfigInput, ZooName } from './schema.js';

export const MODEL_TYPES = ['gpt', 'dialogue', 'bert', 'vit', 'lenet', 'resnet', 'clip', 'mlp'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

type Input = RunConfigInput;

/** runDir and callbacks (instances, added to the Trainer) as buildRun's; the rest as a run config's sections. */
export interface ModelTypeOptions extends BuildRunOptions {
  /** The zoo model's config (what the data decides, such as vocabSize, may be left out). */
  model?: Record<string, unknown>;
  /** The data section of a run config: { train, val?, tokenizer?, batchSize?, ... }. */
  data: Input['data'];
  /** The training settings (TrainingConfig). */
  trainer: TrainingConfigInput;
  /** Task settings over the family's (e.g. { type: 'seq_classification', numClasses: 2 } for a BERT classifier). */
  task?: Record<string, unknown>;
  name?: string;
  checkpoint?: Input['checkpoint'];
  loggers?: Input['loggers'];
}

interface Family {
  zoo: ZooName;
  task: Record<string, unknown>;
  tokenizer?: 'char';
  /** Changes to the training data source (dialogue: encode chat turns). */
  source?: (source: Record<string, unknown>) => Record<string, unknown>;
}

const FAMILIES: Record<ModelType, Family> = {
  gpt: { zoo: 'gpt', task: { type: 'causal_lm' }, tokenizer: 'char' },
  dialogue: {
    zoo: 'gpt', task: { type: 'causal_lm' }, tokenizer: 'char',
    source: (s) => ('jsonl' in s && s.tokenize === undefined ? { ...s, tokenize: { field: 'messages', chat: true } } : s),
  },
  bert: { zoo: 'bert', task: { type: 'masked_lm' }, tokenizer: 'char' },
  vit: { zoo: 'vit', task: { type: 'image_classification', numClasses: 10 } },
  lenet: { zoo: 'lenet', task: { type: 'image_classification', numClasses: 10 } },
  resnet: { zoo: 'resnet', task: { type: 'image_classification', numClasses: 10 } },
  clip: { zoo: 'clip', task: { type: 'contrastive' } },
  mlp: { zoo: 'mlp', task: { type: 'regression' } },
};

/** The run config a family preset makes from the options (what createTrainerForModelType builds). */
export function runConfigForModelType(type: ModelType, options: ModelTypeOptions): Input {
  const family = FAMILIES[type];
  if (!family) {
    const near = nearestName(String(type), MODEL_TYPES);
    throw new TypeError(`createTrainerForModelType: unknown model type '${String(type)}'${near ? `; did you mean '${near}'?` : ''} (the types are ${MODEL_TYPES.join(', ')})`);
  }
  if (!options || typeof options !== 'object' || !options.data || !options.trainer) {
    throw new TypeError('createTrainerForModelType: options need at least { data: { train, ... }, trainer: { maxSteps or maxEpochs, ... } }');
  }
  const data = options.data as Record<string, unknown> & { train: Record<string, unknown>; val?: Record<string, unknown> };
  const adapt = family.source ?? ((s: Record<string, unknown>) => s);
  const textData = 'text' in data.train || 'jsonl' in data.train;
  return {
    version: 2,
    name: options.name ?? type,
    model: { zoo: family.zoo, config: options.model ?? {} },
    task: { ...family.task, ...(options.task ?? {}) },
    data: {
      ...data,
      train: adapt(data.train),
      ...(data.val ? { val: adapt(data.val) } : {}),
      ...(data.tokenizer === undefined && family.tokenizer && textData ? { tokenizer: family.tokenizer } : {}),
    } as Input['data'],
    trainer: options.trainer,
    ...(options.checkpoint !== undefined ? { checkpoint: options.checkpoint } : {}),
    ...(options.loggers ? { loggers: options.loggers } : {}),
  };
}

/** buildRun for a family preset: every piece of the run. */
export async function buildRunForModelType(type: ModelType, options: ModelTypeOptions): Promise<BuiltRun> {
  return buildRun(runConfigForModelType(type, options), { runDir: options.runDir, callbacks: options.callbacks });
}

/** A Trainer for a zoo family with the task, adapter, loss and collate the family needs. */
export async function createTrainerForModelType(type: ModelType, options: ModelTypeOptions): Promise<Trainer> {
  return (await buildRunForModelType(type, options)).trainer;
}
