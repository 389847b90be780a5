// The run-config schema: each example family is accepted, and bad configs are refused with the
// field, what was expected, what was given and a fix (unknown keys with the nearest known one).
import { describe, expect, it } from 'vitest';
import { config } from '../../lib/index.js';

const trainer = { maxSteps: 3 };
const text = { tokenizer: 'char' as const, train: { text: 'train.txt', blockSize: 16 } };

/** One config per family of the examples (models left to derive what the data decides). */
export const FAMILY_CONFIGS: Record<string, config.RunConfigInput> = {
  causalLm: { version: 2, model: { zoo: 'gpt', config: { nLayer: 1, nHead: 2, nEmbd: 16 } }, task: { type: 'causal_lm' }, data: text, trainer },
  maskedLm: { version: 2, model: { zoo: 'bert', config: { hidden: 16, layers: 1, heads: 2, intermediate: 32 } }, task: { type: 'masked_lm' }, data: text, trainer },
  sequenceClassification: {
    version: 2, model: { zoo: 'bert', config: { hidden: 16, layers: 1, heads: 2, intermediate: 32 } }, task: { type: 'seq_classification', numClasses: 2 },
    data: { tokenizer: 'byte', train: { jsonl: 'mail.jsonl', tokenize: { field: 'text', maxLength: 64 }, fields: { spam: 'labels' } } }, trainer,
  },
  imageLenet: { version: 2, model: { zoo: 'lenet' }, task: { type: 'image_classification', numClasses: 10 }, data: { train: { idx: { images: 'x.idx', labels: 'y.idx' } } }, trainer },
  imageVit: { version: 2, model: { zoo: 'vit', config: { imageSize: 8, patchSize: 4, inChannels: 1, dim: 16, depth: 1, heads: 2, mlpDim: 32 } }, task: { type: 'image_classification', numClasses: 3 }, data: { train: { tensors: 'x.safetensors' } }, trainer },
  imageResnet: { version: 2, model: { zoo: 'resnet', config: { widths: [8] } }, task: { type: 'image_classification', numClasses: 3 }, data: { train: { tensors: 'x.safetensors' } }, trainer },
  contrastive: {
    version: 2, model: { zoo: 'clip', config: { embedDim: 8, image: { imageSize: 8, patchSize: 4, inChannels: 1, dim: 16, depth: 1, heads: 2, mlpDim: 32 }, text: { width: 16, layers: 1, heads: 2, contextLength: 8 } } },
    task: { type: 'contrastive' }, data: { tokenizer: 'byte', train: { module: './pairs.ts' } }, trainer,
  },
  regression: { version: 2, model: { zoo: 'mlp', config: { inFeatures: 4, outFeatures: 1 } }, task: { type: 'regression' }, data: { train: { tensors: 't.safetensors' } }, trainer },
  torchscript: { version: 2, model: { torchscript: 'cnn.pt' }, task: { type: 'image_classification', numClasses: 10 }, data: { train: { idx: { images: 'x.idx', labels: 'y.idx' } } }, trainer },
  moduleModel: { version: 2, model: { module: './model.ts', export: 'makeModel', options: { width: 4 } }, task: { type: 'regression' }, data: { train: { tensors: 't.safetensors' } }, trainer },
};

function problems(input: unknown): string {
  try {
    config.resolve(input as config.RunConfigInput, { warn: false });
  } catch (error) {
    expect(error).toBeInstanceOf(config.RunConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('run config schema', () => {
  it.each(Object.entries(FAMILY_CONFIGS))('accepts the %s family', (_name, input) => {
    const run = config.resolve(input, { baseDir: '/data', warn: false });
    expect(run.version).toBe(config.RUN_CONFIG_VERSION);
    expect(run.trainer.optimizer.name).toBe('adamw'); // the TrainingConfig's own defaults
    expect(run.data.batchSize).toBe(32);
    expect(run.loggers).toEqual([]);
  });

  it('makes input paths absolute against the base folder, leaving package names alone', () => {
    const run = config.resolve({ ...FAMILY_CONFIGS.moduleModel!, data: { train: { tensors: 'sub/t.safetensors' }, val: { module: 'some-package' } } }, { baseDir: '/data', warn: false });
    expect(run.data.train).toEqual({ tensors: '/data/sub/t.safetensors' });
    expect(run.data.val).toMatchObject({ module: 'some-package' });
    expect(run.model).toMatchObject({ module: '/data/model.ts', export: 'makeModel' });
  });

  it('checks the zoo config against the model\'s own schema, after filling in what the data decides', () => {
    const bad = { ...FAMILY_CONFIGS.causalLm!, model: { zoo: 'gpt', config: { nLayer: 1, nHead: 3, nEmbd: 16, dropuot: 0.1 } } };
    const text = problems(bad);
    expect(text).toMatch(/model\.config\.dropuot: unknown key; did you mean 'dropout'\?/);
    expect(text).toMatch(/model\.config\.nHead: must divide nEmbd \(16\), got 3/);
    // A GPT without nEmbd: the data cannot decide it.
    expect(problems({ ...FAMILY_CONFIGS.causalLm!, model: { zoo: 'gpt', config: { nLayer: 1, nHead: 2 } } })).toMatch(/model\.config\.nEmbd: .*expected number.*fix: set model\.config\.nEmbd/);
  });

  it('reports a model or data form by the key it uses', () => {
    expect(problems({ ...FAMILY_CONFIGS.causalLm!, model: { zoo: 'gtp' } })).toMatch(/model\.zoo: .*"gtp".*fix: did you mean "gpt"\?/);
    expect(problems({ ...FAMILY_CONFIGS.causalLm!, model: { torchscript: 'a.pt', options: {} } })).toMatch(/model\.options: unknown key/);
    expect(problems({ ...FAMILY_CONFIGS.causalLm!, data: { tokenizer: 'char', train: { text: 'a.txt', blocksize: 8 } } }))
      .toMatch(/data\.train\.blocksize: unknown key; did you mean 'blockSize'\?[^\n]*fix: rename blocksize to blockSize/);
    expect(problems({ ...FAMILY_CONFIGS.causalLm!, model: 'gpt' })).toMatch(/model: expected one of \{ zoo, config \}, \{ torchscript: file \}/);
  });

  it('checks a Hugging Face folder exists, naming the field, the path and the fix (test/config/hf-run.test.ts builds them)', () => {
    expect(problems({ ...FAMILY_CONFIGS.causalLm!, model: { hf: './gpt2' } })).toMatch(/model\.hf: \S*gpt2 does not exist; fix: give the path of a Hugging Face model folder/);
  });

  it('checks the task as a TaskSpec and loggers and callbacks by their options', () => {
    expect(problems({ ...FAMILY_CONFIGS.imageLenet!, task: { type: 'image_classification' } })).toMatch(/task\.numClasses: required for a image_classification task/);
    expect(problems({ ...FAMILY_CONFIGS.imageLenet!, task: { type: 'image_clasification', numClasses: 10 } })).toMatch(/task/);
    expect(problems({ ...FAMILY_CONFIGS.imageLenet!, loggers: [{ type: 'wandb' }] })).toMatch(/loggers\.0\.type/);
    expect(problems({ ...FAMILY_CONFIGS.imageLenet!, loggers: [{ type: 'jsonl', file: 'x' }] })).toMatch(/loggers\.0\.file: unknown key .*takes type, path, fsync/);
    expect(problems({ ...FAMILY_CONFIGS.imageLenet!, callbacks: { earlyStoping: {} } })).toMatch(/callbacks\.earlyStoping: unknown key; did you mean 'earlyStopping'\?/);
  });

  it('reports every problem of a config at once, the trainer\'s included', () => {
    const text = problems({ ...FAMILY_CONFIGS.causalLm!, name: 'bad name', trainer: { maxSteps: 0, optimzer: {} } });
    expect(text).toMatch(/name: use letters, digits/);
    expect(text).toMatch(/trainer\.maxSteps: .*given 0/);
    expect(text).toMatch(/trainer\.optimzer: unknown key; did you mean 'optimizer'\?/);
  });
});
