// What a run config may leave out because the data decides it, filled in the same way by the
// schema's check (with a stand-in tokenizer size before any file is read) and by the factory
// (with the real tokenizer). The ids follow the examples: a masked LM's [MASK] is the id after
// the tokenizer's last, a padding id comes after that, and the vocabulary grows to hold them.
import type { TaskSpec } from '../task/spec.js';

type Json = Record<string, unknown>;

interface DataShape {
  train: Json;
  val?: Json;
  tokenizer?: unknown;
}

const TEXT_TASKS = new Set(['causal_lm', 'masked_lm', 'seq_classification', 'token_classification', 'contrastive']);
/** Task types whose batches are padded (samples of different lengths), so they need a padding id. */
const PADDED_TASKS = new Set(['seq_classification', 'token_classification', 'contrastive']);

/**
 * The tokenizer's vocabulary size as far as it is known without reading data: 256 for bytes;
 * for characters and BPE a large stand-in (the real size is known once the factory builds it).
 */
export function placeholderTokenizerSize(data: DataShape): number | undefined {
  if (data.tokenizer === undefined) return undefined;
  return data.tokenizer === 'byte' ? 256 : 1 << 20;
}

/** Whether the training samples come in different lengths (JSON lines or a module) rather than fixed blocks. */
export function variableLength(data: DataShape): boolean {
  return !('text' in data.train);
}

/**
 * What a pretrained tokenizer and model decide instead of ids appended after the vocabulary: the
 * tokenizer's own [PAD] / [MASK] ids, and the model's vocab_size (config.json) as the task's vocabSize.
 */
export interface PretrainedIds { padTokenId?: number; maskTokenId?: number; modelVocabSize?: number }

/** The TaskSpec input with vocabSize, maskTokenId and padTokenId filled in from the tokenizer where left out. */
export function deriveTaskInput(task: Json, tokenizerSize: number | undefined, padded?: boolean, pretrained: PretrainedIds = {}): Json {
  const type = task.type;
  if ((tokenizerSize === undefined && pretrained.modelVocabSize === undefined) || typeof type !== 'string' || !TEXT_TASKS.has(type)) return task;
  const out: Json = { ...task };
  let next = tokenizerSize ?? pretrained.modelVocabSize!;
  if (type === 'masked_lm' && out.maskTokenId === undefined) out.maskTokenId = pretrained.maskTokenId ?? next++;
  if ((PADDED_TASKS.has(type) || padded) && out.padTokenId === undefined) out.padTokenId = pretrained.padTokenId ?? next++;
  const used = [next, typeof out.maskTokenId === 'number' ? out.maskTokenId + 1 : 0, typeof out.padTokenId === 'number' ? out.padTokenId + 1 : 0];
  if (out.vocabSize === undefined) out.vocabSize = pretrained.modelVocabSize ?? Math.max(...used);
  return out;
}

/** The block length of the training data: a text corpus's blockSize or a tokenized field's maxLength. */
function sequenceLength(data: DataShape): number | undefined {
  const train = data.train;
  if (typeof train.blockSize === 'number') return train.blockSize;
  const tokenize = train.tokenize as { maxLength?: number } | undefined;
  return tokenize?.maxLength;
}

const setDefault = (config: Json, key: string, value: unknown) => {
  if (config[key] === undefined && value !== undefined) config[key] = value;
};

/** A zoo model's config with what the task and data decide filled in where left out. */
export function deriveModelConfig(zoo: string, config: Json, task: TaskSpec, data: DataShape): Json {
  const out: Json = { ...config };
  const length = sequenceLength(data);
  const classes = task.type === 'regression' || task.type === 'causal_lm' || task.type === 'masked_lm' || task.type === 'contrastive' ? undefined : task.numClasses;
  switch (zoo) {
    case 'gpt':
      setDefault(out, 'vocabSize', task.vocabSize);
      setDefault(out, 'blockSize', length);
      break;
    case 'bert':
      setDefault(out, 'vocabSize', task.vocabSize);
      setDefault(out, 'maxLength', length);
      setDefault(out, 'numClasses', classes);
      break;
    case 'clip': {
      const text: Json = { ...((out.text as Json | undefined) ?? {}) };
      setDefault(text, 'vocabSize', task.vocabSize);
      setDefault(text, 'contextLength', length);
      out.text = text;
      break;
    }
    case 'mlp':
      setDefault(out, 'outFeatures', classes);
      break;
    default: // lenet, resnet, vit
      setDefault(out, 'numClasses', classes);
  }
  return out;
}
