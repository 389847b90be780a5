// The trainer factory: each zoo family builds from a config and trains a few steps on tiny
// synthetic data written in the formats the run config reads (text, JSON lines, IDX,
// safetensors, a module), and a YAML file goes end to end through getTrainer.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Tensor, config, createTrainerForModelType, data, getTrainer, io, models, torch } from '../../lib/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'torchtrain-factory-'));
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const at = (name: string) => path.join(dir, name);
const trainer = { maxSteps: 2, device: 'cpu', logEveryNSteps: 1, evalAtEpochEnd: false } as const;

// ---- tiny data
const words = ['the', 'whale', 'sea', 'ship', 'white', 'ahab', 'call', 'me'];
const prose = (n: number, seed: number) => Array.from({ length: n }, (_, i) => words[(i * 7 + seed * 3 + (i % 5)) % words.length]).join(' ');
writeFileSync(at('train.txt'), prose(200, 1));
writeFileSync(at('val.txt'), prose(60, 2));
writeFileSync(at('mail.jsonl'), Array.from({ length: 12 }, (_, i) => JSON.stringify({ text: i % 2 ? 'win money now!!!' : 'meeting at noon', spam: i % 2 })).join('\n'));
writeFileSync(at('chat.jsonl'), Array.from({ length: 8 }, (_, i) => JSON.stringify({
  messages: [{ role: 'user', content: `hi ${i}` }, { role: 'assistant', content: i % 2 ? 'hello' : 'hey there' }],
})).join('\n'));
const pixels = (n: number, channels: number, side: number) => Uint8Array.from({ length: n * channels * side * side }, (_, k) => (k * 37) % 256);
data.writeIdx(at('mnist-x.idx'), { shape: [8, 28, 28], data: pixels(8, 1, 28) });
data.writeIdx(at('mnist-y.idx'), { shape: [8], data: Uint8Array.from({ length: 8 }, (_, i) => i % 10) });
data.writeIdx(at('rgb-x.idx'), { shape: [8, 3, 8, 8], data: pixels(8, 3, 8) });
data.writeIdx(at('rgb-y.idx'), { shape: [8], data: Uint8Array.from({ length: 8 }, (_, i) => i % 3) });
io.saveSafetensors(at('gray.safetensors'), { pixel_values: torch.rand([8, 1, 8, 8]), labels: torch.tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: 'int64' }) });
io.saveSafetensors(at('table.safetensors'), { features: torch.randn([12, 4]), labels: torch.randn([12, 1]) });

async function trainsTwoSteps(run: Promise<config.BuiltRun>): Promise<config.BuiltRun> {
  const built = await run;
  const result = await built.trainer.fit();
  expect(result.steps).toBe(2);
  expect(Number.isFinite(built.trainer.logs['train/loss'])).toBe(true);
  return built;
}

describe('buildRun: every family trains from a config', () => {
  it('gpt: causal LM on a text corpus, next-token labels without a second shift (examples/causal-lm.ts)', async () => {
    const run = await trainsTwoSteps(config.buildRun({
      version: 2, model: { zoo: 'gpt', config: { nLayer: 1, nHead: 2, nEmbd: 16 } }, task: { type: 'causal_lm' },
      data: { tokenizer: 'char', train: { text: at('train.txt'), blockSize: 8 }, val: { text: at('val.txt'), blockSize: 8 }, batchSize: 4 }, trainer,
    }));
    const vocab = new Set(readFileSync(at('train.txt'), 'utf8') + readFileSync(at('val.txt'), 'utf8')).size;
    expect(run.tokenizer!.vocabSize).toBe(vocab);
    expect(run.task).toMatchObject({ type: 'causal_lm', vocabSize: vocab, loss: { name: 'causal_lm', options: { shift: false } } });
    expect((run.model as models.GPT).config).toMatchObject({ vocabSize: vocab, blockSize: 8 });
    expect((await run.trainer.validate()).loss).toBeGreaterThan(0);
  });

  it('bert: masked LM with the masking collate; [MASK] after the characters (examples/masked-lm.ts)', async () => {
    const run = await trainsTwoSteps(config.buildRun({
      version: 2, model: { zoo: 'bert', config: { hidden: 16, layers: 1, heads: 2, intermediate: 32, dropout: 0 } }, task: { type: 'masked_lm' },
      data: { tokenizer: 'char', train: { text: at('train.txt'), blockSize: 8 }, val: { text: at('val.txt'), blockSize: 8 }, batchSize: 4 }, trainer,
    }));
    const chars = run.tokenizer!.vocabSize;
    expect(run.task).toMatchObject({ maskTokenId: chars, vocabSize: chars + 1 });
    // Validation masks the same tokens every time (a fresh seeded collate per pass).
    expect((await run.trainer.validate()).loss).toBe((await run.trainer.validate()).loss);
  });

  it('bert: sequence classification on tokenized JSON lines, padded with a derived id', async () => {
    const run = await trainsTwoSteps(config.buildRun({
      version: 2, model: { zoo: 'bert', config: { hidden: 16, layers: 1, heads: 2, intermediate: 32 } }, task: { type: 'seq_classification', numClasses: 2 },
      data: { tokenizer: 'byte', train: { jsonl: at('mail.jsonl'), fields: { spam: 'labels' }, tokenize: { maxLength: 32 } }, batchSize: 4 }, trainer,
    }));
    expect(run.task).toMatchObject({ padTokenId: 256, vocabSize: 257 });
    expect((run.model as models.Bert).config).toMatchObject({ vocabSize: 257, maxLength: 32, numClasses: 2 });
  });

  it('lenet: image classification from IDX files (uint8 scaled to [0, 1])', async () => {
    const run = await trainsTwoSteps(config.buildRun({
      version: 2, model: { zoo: 'lenet' }, task: { type: 'image_classification', numClasses: 10 },
      data: { train: { idx: { images: at('mnist-x.idx'), labels: at('mnist-y.idx') } }, batchSize: 4 }, trainer,
    }));
    const sample = await (run.datasets.train as data.MapDataset<{ pixel_values: Tensor; labels: number }>).get(1);
    expect(sample.pixel_values.shape).toEqual([1, 28, 28]);
    expect(sample.pixel_values.max().item()).toBeLessThanOrEqual(1);
    expect(sample.labels).toBe(1);
  });

  it('resnet: 3-channel IDX images, numClasses from the task', async () => {
    const run = await trainsTwoSteps(config.buildRun({
      version: 2, model: { zoo: 'resnet', config: { widths: [8] } }, task: { type: 'image_classification', numClasses: 3 },
      data: { train: { idx: { images: at('rgb-x.idx'), labels: at('rgb-y.idx') } }, batchSize: 4 }, trainer,
    }));
    expect((run.model as models.ResNetMini).config.numClasses).toBe(3);
  });

  it('vit: a safetensors file of named tensors', async () => {
    await trainsTwoSteps(config.buildRun({
      version: 2, model: { zoo: 'vit', config: { imageSize: 8, patchSize: 4, inChannels: 1, dim: 16, depth: 1, heads: 2, mlpDim: 32 } },
      task: { type: 'image_classification', numClasses: 3 }, data: { train: { tensors: at('gray.safetensors') }, batchSize: 4 }, trainer,
    }));
  });

  it('clip: contrastive pairs from a module dataset, names padded with a derived id', async () => {
    const run = await trainsTwoSteps(config.buildRun({
      version: 2,
      model: { zoo: 'clip', config: { embedDim: 8, image: { imageSize: 8, patchSize: 4, inChannels: 1, dim: 16, depth: 1, heads: 2, mlpDim: 32 }, text: { width: 16, layers: 1, heads: 2, contextLength: 8 } } },
      task: { type: 'contrastive' }, data: { tokenizer: 'byte', train: { module: path.join(fixtures, 'pairs.ts'), options: { count: 8 } }, batchSize: 4 },
      trainer: { ...trainer, maxSteps: 2 },
    }, { runDir: at('clip-run') }));
    expect(run.task).toMatchObject({ padTokenId: 256 });
  });

  it('mlp: regression on features, and a model from a module factory', async () => {
    await trainsTwoSteps(config.buildRun({
      version: 2, model: { zoo: 'mlp', config: { inFeatures: 4, outFeatures: 1, hiddenSizes: [8] } }, task: { type: 'regression' },
      data: { train: { tensors: at('table.safetensors') }, batchSize: 4 }, trainer,
    }));
    // Relative module paths are taken from the config's folder (here: resolve's baseDir).
    const run = await trainsTwoSteps(config.buildRun(config.resolve({
      version: 2, model: { module: './model.ts', export: 'makeModel', options: { width: 3 } }, task: { type: 'regression' },
      data: { train: { tensors: at('table.safetensors') }, batchSize: 4 }, trainer,
    }, { baseDir: fixtures })));
    expect(run.model).toBeInstanceOf(models.MLP);
  });

  it('explains a module that does not export what the config names', async () => {
    const bad = config.resolve({
      version: 2, model: { module: './model.ts', export: 'makeModle' }, task: { type: 'regression' }, data: { train: { tensors: at('table.safetensors') } }, trainer,
    }, { baseDir: fixtures });
    await expect(config.buildRun(bad)).rejects.toThrow(/has no function export 'makeModle' \(it exports makeModel\); fix: set model\.export/);
  });
});

describe('createTrainerForModelType', () => {
  const text = { train: { text: at('train.txt'), blockSize: 8 }, batchSize: 4 };

  it.each([
    ['gpt', { model: { nLayer: 1, nHead: 2, nEmbd: 16 }, data: text }],
    ['bert', { model: { hidden: 16, layers: 1, heads: 2, intermediate: 32 }, data: text }],
    ['lenet', { data: { train: { idx: { images: at('mnist-x.idx'), labels: at('mnist-y.idx') } }, batchSize: 4 } }],
    ['resnet', { model: { widths: [8] }, task: { numClasses: 3 }, data: { train: { idx: { images: at('rgb-x.idx'), labels: at('rgb-y.idx') } }, batchSize: 4 } }],
    ['vit', { model: { imageSize: 8, patchSize: 4, inChannels: 1, dim: 16, depth: 1, heads: 2, mlpDim: 32 }, task: { numClasses: 3 }, data: { train: { tensors: at('gray.safetensors') }, batchSize: 4 } }],
    ['mlp', { model: { inFeatures: 4, outFeatures: 1 }, data: { train: { tensors: at('table.safetensors') }, batchSize: 4 } }],
    ['clip', {
      model: { embedDim: 8, image: { imageSize: 8, patchSize: 4, inChannels: 1, dim: 16, depth: 1, heads: 2, mlpDim: 32 }, text: { width: 16, layers: 1, heads: 2, contextLength: 8 } },
      data: { tokenizer: 'byte', train: { module: path.join(fixtures, 'pairs.ts') }, batchSize: 4 },
    }],
  ] as const)('%s trains two steps with the family\'s task, loss and collate', async (type, options) => {
    const t = await createTrainerForModelType(type, { ...options, trainer } as config.ModelTypeOptions);
    expect((await t.fit()).steps).toBe(2);
  });

  it('dialogue: a GPT on chat turns, the loss on the assistant\'s tokens only', async () => {
    const run = await config.buildRunForModelType('dialogue', { model: { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 64 }, data: { train: { jsonl: at('chat.jsonl') }, batchSize: 4 }, trainer });
    expect(run.config.data.train).toMatchObject({ tokenize: { field: 'messages', chat: true } });
    expect(run.task).toMatchObject({ type: 'causal_lm', padTokenId: run.tokenizer!.vocabSize });
    const sample = await (run.datasets.train as data.MapDataset<{ input_ids: number[]; labels: number[] }>).get(0);
    const learned = sample.labels.filter((l) => l !== -100);
    expect(run.tokenizer!.decode(learned)).toBe('hey there\n<|end|>\n');
    expect((await run.trainer.fit()).steps).toBe(2);
  });

  it('refuses an unknown type with the nearest one', async () => {
    await expect(createTrainerForModelType('gtp' as 'gpt', { data: text, trainer })).rejects.toThrow(/unknown model type 'gtp'; did you mean 'gpt'\?/);
  });
});

describe('getTrainer from a YAML file', () => {
  it('runs end to end with loggers, callbacks and checkpoints in the run folder', async () => {
    const yaml = `version: 2
name: yaml-gpt
model: { zoo: gpt, config: { nLayer: 1, nHead: 2, nEmbd: 16 } }
task: { type: causal_lm }
data:
  tokenizer: char
  train: { text: train.txt, blockSize: 8 }
  val: { text: val.txt, blockSize: 8 }
  batchSize: 4
trainer: { maxSteps: 3, device: cpu, logEveryNSteps: 1, optimizer: { lr: "\${LR:-3e-3}" } }
checkpoint: { everyNSteps: 2 }
loggers: [{ type: jsonl }, { type: csv, path: metrics/rows.csv }, { type: tensorboard }, { type: dashboard, title: tiny }]
callbacks: { lrMonitor: {} }
`;
    writeFileSync(at('run.yaml'), yaml);
    const runDir = at('runs/yaml-gpt');
    const t = await getTrainer(config.load(at('run.yaml'), { overrides: ['trainer.maxSteps=4'] }), { runDir });
    expect(t.core.config.optimizer.lr).toBe(3e-3);
    const result = await t.fit();
    expect(result.steps).toBe(4);
    const rows = readFileSync(path.join(runDir, 'logs/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(existsSync(path.join(runDir, 'metrics/rows.csv'))).toBe(true);
    expect(readdirSync(path.join(runDir, 'tensorboard')).some((f) => f.startsWith('events.out.tfevents'))).toBe(true);
    expect(readFileSync(path.join(runDir, 'dashboard.html'), 'utf8')).toMatch(/<title>tiny/);
    expect(existsSync(path.join(runDir, 'checkpoints/checkpoint-4/manifest.json'))).toBe(true);
    expect(existsSync(path.join(runDir, 'checkpoints/checkpoint-2/manifest.json'))).toBe(true);
  });

  it('takes a file path directly too', async () => {
    const t = await getTrainer(at('run.yaml'), { runDir: at('runs/direct') });
    expect(t.core.config.maxSteps).toBe(3);
  });
});
