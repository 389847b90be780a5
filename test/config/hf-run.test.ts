// Run configs with Hugging Face folders: model { hf } (head from the task, gradientCheckpointing,
// LoRA with modulesToSave) and data.tokenizer { hf } (its own [PAD], the model's vocab_size) build
// and train; a wrong folder is a config error naming the field, the path and the line; the
// example config loads. The folders are tiny models written by hf.savePretrained with the real
// MiniLM's tokenizer.json, so no large model is trained here.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { config, hf, nn, torch } from '../../lib/index.js';
import { exportHfRun } from '../../lib/config/hf-sources.js';
import { miniLmDir } from '../hf/minilm-path.js';

torch.setNumThreads(1);

const dir = mkdtempSync(path.join(tmpdir(), 'torchtrain-hf-run-'));
const at = (name: string) => path.join(dir, name);
const MINILM = miniLmDir();
const hasMiniLm = MINILM !== undefined;
const trainer = { maxSteps: 3, device: 'cpu', logEveryNSteps: 1, evalAtEpochEnd: false } as const;

writeFileSync(at('mail.jsonl'), Array.from({ length: 12 }, (_, i) => JSON.stringify({ text: i % 2 ? 'WIN money now, click here!!!' : 'Meeting moved to noon, see you there', spam: i % 2 })).join('\n'));
writeFileSync(at('moby.txt'), 'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse. '.repeat(4));

/** A tiny BERT classifier folder with the MiniLM tokenizer (vocab 30522, [PAD] = 0). */
async function tinyBertFolder(): Promise<string> {
  const folder = at('tiny-bert');
  torch.manualSeed(0);
  const model = new hf.models.BertModel(hf.bertConfigSchema.parse({ vocab_size: 30522, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 48, max_position_embeddings: 64 }));
  await hf.savePretrained(model, folder, { tokenizer: hf.HfTokenizer.fromFolder(MINILM!) });
  return folder;
}

describe('run configs with { hf } models and tokenizers', () => {
  it.skipIf(!hasMiniLm)('seq_classification: head, [PAD] and vocabulary from the folder; LoRA + modulesToSave + checkpointing train 3 steps', async () => {
    const folder = await tinyBertFolder();
    const run = await config.buildRun({
      version: 2,
      model: { hf: folder, gradientCheckpointing: true, lora: { targetModules: ['query', 'value'], r: 4, alpha: 8, modulesToSave: ['classifier'] } },
      task: { type: 'seq_classification', numClasses: 2 },
      data: { tokenizer: { hf: folder }, train: { jsonl: at('mail.jsonl'), fields: { spam: 'labels' }, tokenize: { maxLength: 24 } }, batchSize: 4 },
      trainer,
    });
    const model = run.model as hf.models.BertForSequenceClassification;
    expect(model).toBeInstanceOf(hf.models.BertForSequenceClassification);
    expect(model.numLabels).toBe(2);
    expect(model.isGradientCheckpointing).toBe(true);
    expect(run.tokenizer).toBeInstanceOf(hf.HfTokenizer);
    expect(run.task).toMatchObject({ padTokenId: 0, vocabSize: 30522 });
    expect(nn.lora.modulesToSaveLayers(model).map(([n]) => n)).toEqual(['classifier']);
    const frozen = model.bert.embeddings.wordEmbeddings.weight.clone();
    const result = await run.trainer.fit();
    expect(result.steps).toBe(3);
    expect(Number.isFinite(run.trainer.logs['train/loss'])).toBe(true);
    expect(model.bert.embeddings.wordEmbeddings.weight.equal(frozen)).toBe(true);
    // `torchtrain fit`'s export phase: the adapter in PEFT's format, with the head as modules_to_save.
    const out = at('export-lora');
    expect(await exportHfRun(model, { hf: folder }, out, run.tokenizer)).toEqual({ format: 'peft-adapter', baseModel: folder });
    expect(nn.lora.readAdapterConfig(out)).toMatchObject({ task_type: 'SEQ_CLS', modules_to_save: ['classifier'], base_model_name_or_path: folder });
  }, 60_000);

  it('causal_lm: a GPT-2 folder on a byte corpus; vocabSize from config.json', async () => {
    const folder = at('tiny-gpt2');
    torch.manualSeed(0);
    await hf.savePretrained(new hf.models.GPT2LMHeadModel(hf.gpt2ConfigSchema.parse({ vocab_size: 256, n_positions: 32, n_embd: 16, n_layer: 1, n_head: 2 })), folder);
    const run = await config.buildRun({
      version: 2, model: { hf: folder }, task: { type: 'causal_lm' },
      data: { tokenizer: 'byte', train: { text: at('moby.txt'), blockSize: 16 }, batchSize: 4 }, trainer,
    });
    expect(run.model).toBeInstanceOf(hf.models.GPT2LMHeadModel);
    expect(run.task.vocabSize).toBe(256);
    expect((await run.trainer.fit()).steps).toBe(3);
    // Without LoRA the export is a Hugging Face folder with the trained weights.
    const out = at('export-gpt2');
    expect(await exportHfRun(run.model as hf.models.GPT2LMHeadModel, { hf: folder }, out, run.tokenizer)).toEqual({ format: 'hf-folder' });
    const { model: back } = await hf.fromPretrained<hf.models.GPT2LMHeadModel>(out);
    expect(back.transformer.wte.weight.equal((run.model as hf.models.GPT2LMHeadModel).transformer.wte.weight)).toBe(true);
  }, 60_000);

  it('a wrong folder is a config error naming the field, the path and the line', () => {
    const file = at('bad.yaml');
    const body = (model: string, tokenizer: string) => `version: 2\nmodel:\n  hf: ${model}\ntask: { type: causal_lm }\ndata:\n  tokenizer: ${tokenizer}\n  train: { text: moby.txt, blockSize: 8 }\ntrainer: { maxSteps: 1 }\n`;
    writeFileSync(file, body('./no-such-model', 'byte'));
    expect(() => config.load(file)).toThrow(new RegExp(`bad\\.yaml:3: model\\.hf: ${at('no-such-model').replace(/[.]/g, '\\.')} does not exist; fix: give the path of a Hugging Face model folder`));
    writeFileSync(file, body('.', 'byte'));
    expect(() => config.load(file)).toThrow(/model\.hf: .* has no config\.json, so it is not a Hugging Face model folder/);
    const gpt2 = at('tiny-gpt2');
    writeFileSync(file, body(gpt2, '{ hf: ./missing/tokenizer.json }'));
    expect(() => config.load(file)).toThrow(/bad\.yaml:6: data\.tokenizer\.hf: .*missing\/tokenizer\.json does not exist/);
    // Unknown keys in the model section get suggestions as elsewhere.
    expect(() => config.resolve({ version: 2, model: { hf: gpt2, gradientCheckpoint: true }, task: { type: 'causal_lm' }, data: { tokenizer: 'byte', train: { text: at('moby.txt'), blockSize: 8 } }, trainer: {} }))
      .toThrow(/gradientCheckpoint.*gradientCheckpointing/);
  });

  it.skipIf(!hasMiniLm)('examples/configs/hf-minilm-spam.yaml loads: the MiniLM folder through ${MINILM_DIR}', () => {
    const loaded = config.load('examples/configs/hf-minilm-spam.yaml', { env: { ...process.env, MINILM_DIR: MINILM } });
    expect(loaded.model).toMatchObject({ hf: MINILM, gradientCheckpointing: false });
    expect(loaded.data.tokenizer).toEqual({ hf: MINILM });
  });
});
