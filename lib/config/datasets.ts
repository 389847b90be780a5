// A run config's data section made into datasets and a tokenizer, on lib/data's readers:
// JSON lines (read into memory, optionally renamed and tokenized), text corpora (TextCorpus),
// IDX files (images + labels), safetensors files of named tensors (TensorDataset), and modules
// exporting a dataset. A 'char' tokenizer is built from the training and validation text together.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Tensor } from '../core/tensor.js';
import { torch } from '../core/torch.js';
import { type Dataset, InMemoryDataset, isIterableDataset, isMapDataset } from '../data/dataset.js';
import { readIdx } from '../data/idx.js';
import { TensorDataset } from '../data/tensor-dataset.js';
import { TextCorpus } from '../data/text-corpus.js';
import { BpeTokenizer, ByteTokenizer, CharTokenizer, type Tokenizer } from '../data/tokenizers.js';
import { type ChatMessage, DialogueAdapter, chatMlTemplate } from '../engine/adapters/dialogue.js';
import { loadSafetensors } from '../io/safetensors.js';
import { readHfTokenizer } from './hf-sources.js';
import type { DataSource, RunConfig, TokenizerSpec } from './schema.js';

type Json = Record<string, unknown>;

export class RunDataError extends Error {
  constructor(readonly where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'RunDataError';
  }
}

/** The records of a JSON-lines file (blank lines skipped); a bad line is an error naming file and line. */
export function readJsonl(file: string): Json[] {
  const records: Json[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new RunDataError(`${file}:${i + 1}`, `not valid JSON (${(error as Error).message}); fix: write one JSON object per line`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new RunDataError(`${file}:${i + 1}`, 'expected a JSON object (one sample) per line');
    records.push(value as Json);
  });
  return records;
}

/** The text a 'char' tokenizer must cover: text files whole, tokenized JSONL fields, and the chat template. */
function textsOf(source: DataSource | undefined, records: Json[] | undefined): string[] {
  if (!source) return [];
  if ('text' in source) return [readFileSync(source.text, 'utf8')];
  if (!('jsonl' in source) || !source.tokenize || !records) return [];
  const { field, chat } = source.tokenize;
  if (!chat) return records.map((r) => String(r[field] ?? ''));
  const roles = ['system', 'user', 'assistant'] as const;
  const template = roles.map((r) => chatMlTemplate.prefix(r) + chatMlTemplate.suffix(r)).join('');
  return [template, ...records.flatMap((r) => (Array.isArray(r[field]) ? (r[field] as ChatMessage[]).map((m) => String(m?.content ?? '')) : []))];
}

async function buildTokenizer(spec: TokenizerSpec | undefined, texts: string[]): Promise<Tokenizer | undefined> {
  if (spec === undefined) return undefined;
  if (spec === 'byte') return new ByteTokenizer();
  if (spec === 'char') return CharTokenizer.fromText(texts.join(''));
  if ('hf' in spec) return readHfTokenizer(spec.hf);
  return BpeTokenizer.load(spec.bpe);
}

interface Context {
  task: { type: string; fields: { inputs: string | Record<string, string>; labels: string } };
  tokenizer: Tokenizer | undefined;
  where: string;
  ignoreIndex: number;
}

function jsonlDataset(source: Extract<DataSource, { jsonl: string }>, records: Json[], ctx: Context): Dataset {
  const renamed = source.fields ? records.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [source.fields![k] ?? k, v]))) : records;
  const tokenize = source.tokenize;
  if (!tokenize) return new InMemoryDataset(renamed);
  const tokenizer = ctx.tokenizer;
  if (!tokenizer) throw new RunDataError(ctx.where, `tokenize needs a tokenizer; fix: set data.tokenizer ('char', 'byte' or { bpe: 'r50k_base' })`);
  const dialogue = tokenize.chat ? new DialogueAdapter(tokenizer) : undefined;
  const cut = <T>(xs: T[]) => (tokenize.maxLength ? xs.slice(0, tokenize.maxLength) : xs);
  return new InMemoryDataset(renamed.map((r, i) => {
    const value = r[tokenize.field];
    const { [tokenize.field]: _dropped, ...rest } = r;
    if (dialogue) {
      if (!Array.isArray(value)) throw new RunDataError(`${source.jsonl}: record ${i + 1}`, `${tokenize.field} must be a list of { role, content } turns`);
      const { input_ids, labels } = dialogue.encode(value as ChatMessage[], ctx.ignoreIndex);
      return { ...rest, [tokenize.into]: cut(input_ids), [ctx.task.fields.labels]: cut(labels) };
    }
    if (typeof value !== 'string') throw new RunDataError(`${source.jsonl}: record ${i + 1}`, `${tokenize.field} must be a string to tokenize, got ${JSON.stringify(value)?.slice(0, 40)}`);
    return { ...rest, [tokenize.into]: cut(tokenizer.encode(value)) };
  }));
}

function idxDataset(source: Extract<DataSource, { idx: unknown }>, ctx: Context): Dataset {
  const images = readIdx(source.idx.images);
  const labels = readIdx(source.idx.labels);
  const n = images.shape[0]!;
  if (labels.shape.length !== 1 || labels.shape[0] !== n) {
    throw new RunDataError(source.idx.labels, `expected ${n} labels (one per image of ${source.idx.images}), got shape [${labels.shape.join(', ')}]`);
  }
  const shape = images.shape.length === 3 ? [n, 1, images.shape[1]!, images.shape[2]!] : images.shape;
  const scale = source.scale ?? (images.dtype === 'uint8' ? 1 / 255 : 1);
  const pixels = Float32Array.from(images.data as ArrayLike<number>, (v) => v * scale);
  const tensor = torch.keep(torch.tensor(pixels, { shape }));
  const input = typeof ctx.task.fields.inputs === 'string' ? ctx.task.fields.inputs : 'pixel_values';
  const ys = Array.from(labels.data as ArrayLike<number>);
  return { length: n, get: (i: number) => ({ [input]: tensor.index(i), [ctx.task.fields.labels]: ys[i]! }) };
}

async function moduleDataset(source: Extract<DataSource, { module: string }>, ctx: Context): Promise<Dataset> {
  const name = source.export ?? 'default';
  let mod: Json;
  try {
    mod = await import(source.module.startsWith('/') ? pathToFileURL(source.module).href : source.module) as Json;
  } catch (error) {
    throw new RunDataError(source.module, `cannot be imported (${(error as Error).message.split('\n')[0]}); fix: check the path (relative to the config file)`);
  }
  if (!(name in mod)) throw new RunDataError(source.module, `has no export '${name}' (it exports ${Object.keys(mod).join(', ') || 'nothing'}); fix: set export`);
  let value = mod[name];
  if (typeof value === 'function') value = await (value as (o: Json, c: { tokenizer?: Tokenizer }) => unknown)(source.options, { tokenizer: ctx.tokenizer });
  if (Array.isArray(value)) return new InMemoryDataset(value);
  if (value !== null && typeof value === 'object' && (isMapDataset(value as Dataset) || isIterableDataset(value as Dataset))) return value as Dataset;
  throw new RunDataError(source.module, `export '${name}' is not a dataset (length + get(i), an async iterable, an array, or a function returning one)`);
}

function buildDataset(source: DataSource, records: Json[] | undefined, ctx: Context, defaultLabels: 'next-token' | 'none'): Dataset | Promise<Dataset> {
  if ('jsonl' in source) return jsonlDataset(source, records!, ctx);
  if ('text' in source) {
    const text = readFileSync(source.text, 'utf8');
    if (!ctx.tokenizer) throw new RunDataError(ctx.where, "a text corpus needs a tokenizer; fix: set data.tokenizer ('char', 'byte' or { bpe: 'r50k_base' })");
    const input = typeof ctx.task.fields.inputs === 'string' ? ctx.task.fields.inputs : 'input_ids';
    return new TextCorpus(text, { tokenizer: ctx.tokenizer, blockSize: source.blockSize, stride: source.stride, labels: source.labels ?? defaultLabels, fields: { inputs: input, labels: ctx.task.fields.labels } });
  }
  if ('idx' in source) return idxDataset(source, ctx);
  if ('tensors' in source) {
    const tensors = loadSafetensors(source.tensors);
    for (const t of Object.values(tensors)) torch.keep(t);
    return new TensorDataset(tensors as Record<string, Tensor>);
  }
  return moduleDataset(source, ctx);
}

export interface RunData {
  train: Dataset;
  val: Dataset | undefined;
  tokenizer: Tokenizer | undefined;
}

/** The training labels of a text corpus when the config does not say: next-token for causal LM (nanoGPT's x, y). */
export function defaultTextLabels(taskType: string): 'next-token' | 'none' {
  return taskType === 'causal_lm' ? 'next-token' : 'none';
}

/** Reads the data section: the tokenizer first (a 'char' one needs the texts), then the datasets. */
export async function buildRunData(data: RunConfig['data'], task: Context['task'] & { ignoreIndex?: number }): Promise<RunData> {
  const trainRecords = 'jsonl' in data.train ? readJsonl(data.train.jsonl) : undefined;
  const valRecords = data.val && 'jsonl' in data.val ? readJsonl(data.val.jsonl) : undefined;
  const tokenizer = await buildTokenizer(data.tokenizer, [...textsOf(data.train, trainRecords), ...textsOf(data.val, valRecords)]);
  const labels = defaultTextLabels(task.type);
  const base = { task, tokenizer, ignoreIndex: task.ignoreIndex ?? -100 };
  const train = await buildDataset(data.train, trainRecords, { ...base, where: 'data.train' }, labels);
  const val = data.val ? await buildDataset(data.val, valRecords, { ...base, where: 'data.val' }, labels) : undefined;
  return { train, val, tokenizer };
}
