// TrainingConfigBuilder: a run config in code, checked as a file is.
import { describe, expect, it } from 'vitest';
import { TrainingConfigBuilder, config } from '../../lib/index.js';

const base = () => new TrainingConfigBuilder()
  .name('tiny-gpt')
  .model('gpt', { nLayer: 1, nHead: 2, nEmbd: 16 })
  .task({ type: 'causal_lm' })
  .data({ tokenizer: 'char', train: { text: 'train.txt', blockSize: 16 } })
  .trainer({ maxSteps: 10, optimizer: { lr: 3e-3 } });

describe('TrainingConfigBuilder', () => {
  it('builds a checked RunConfig with defaults filled in and paths resolved', () => {
    const run = base().logger({ type: 'jsonl' }).callback('earlyStopping', { patience: 2 }).callback('progressBar')
      .checkpoint({ everyNSteps: 5, keepLast: 2 }).build({ baseDir: '/data' });
    expect(run).toMatchObject({
      version: config.RUN_CONFIG_VERSION, name: 'tiny-gpt', model: { zoo: 'gpt', config: { nLayer: 1 } },
      data: { train: { text: '/data/train.txt', blockSize: 16 }, batchSize: 32 },
      trainer: { maxSteps: 10, optimizer: { lr: 3e-3, name: 'adamw' } },
      checkpoint: { everyNSteps: 5, keepLast: 2, monitor: 'val/loss' },
      loggers: [{ type: 'jsonl' }], callbacks: { earlyStopping: { patience: 2 }, progressBar: {} },
    });
  });

  it('refuses what a file would be refused for, naming the field', () => {
    expect(() => base().trainer({ maxSteps: 0 }).build()).toThrow(config.RunConfigError);
    expect(() => base().trainer({ maxSteps: 0 }).build()).toThrow(/trainer\.maxSteps: .*given 0/);
    expect(() => base().model('gpt', { nLayer: 1, nHead: 3, nEmbd: 16 }).build()).toThrow(/model\.config\.nHead: must divide nEmbd/);
  });

  it('starts from an existing config, and takes TorchScript and module models', () => {
    const run = base().build();
    const changed = TrainingConfigBuilder.from(run).name('again').trainer({ ...run.trainer, maxSteps: 20 }).build();
    expect(changed.name).toBe('again');
    expect(changed.trainer.maxSteps).toBe(20);
    expect(changed.data).toEqual(run.data);
    expect(base().torchscript('/m/cnn.pt').task({ type: 'image_classification', numClasses: 10 }).build().model).toEqual({ torchscript: '/m/cnn.pt' });
    expect(base().modelModule('/m/model.ts', { export: 'make' }).build().model).toEqual({ module: '/m/model.ts', export: 'make', options: {} });
  });

  it('toInput gives the unchecked config, which config.resolve checks', () => {
    const input = base().toInput();
    expect(input.version).toBe(config.RUN_CONFIG_VERSION);
    expect(config.resolve(input).name).toBe('tiny-gpt');
  });
});
