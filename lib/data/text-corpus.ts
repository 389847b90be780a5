// TextCorpus: a text tokenized once and cut into fixed-length blocks for language modelling, as
// nanoGPT's data loader does. Block i starts at token i * stride; a remainder too short for a
// whole block is dropped. With stride 1 and a shuffling loader every offset is a sample, which
// is nanoGPT's random-offset sampling made deterministic and epoch-based.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatZodError } from '../core/validation.js';
import { startProgress } from '../progress/index.js';
import { checkIndex, type DatasetSource, type MapDataset, MappedMapDataset, type Transform, type TransformOptions, type WorkerConstructible } from './dataset.js';
import { BpeTokenizer, ByteTokenizer, CharTokenizer, type Tokenizer } from './tokenizers.js';

/** Characters per encode() call when a long text is tokenised in pieces (for progress). */
const PIECE_CHARS = 1 << 18;

/**
 * Tokenises a text, with progress ('tokenising corpus', in characters) when it is long. A piece
 * ends just after a single newline and before a letter or digit (see pieceEnd): no pre-tokenizer of the built-in
 * tokenizers (bytes; OpenAI's BPE regexes, none of which join a newline to a following letter or
 * digit) lets a token cross such a point, so the ids are the same as one encode() call (a test
 * checks this on Moby-Dick). Other tokenizers (yours, CharTokenizer, whose error offsets are
 * whole-text ones) get the whole text in one call.
 */
function encodeCorpus(tokenizer: Tokenizer, text: string): Int32Array {
  if (!(tokenizer instanceof BpeTokenizer || tokenizer instanceof ByteTokenizer) || text.length <= PIECE_CHARS) {
    return Int32Array.from(tokenizer.encode(text));
  }
  const progress = startProgress('tokenising corpus', { total: text.length, unit: 'chars' });
  const ids: number[][] = [];
  let count = 0;
  try {
    for (let start = 0; start < text.length;) {
      const end = pieceEnd(text, start + PIECE_CHARS);
      const piece = tokenizer.encode(text.slice(start, end));
      ids.push(piece);
      count += piece.length;
      start = end;
      progress.update(end);
    }
  } catch (e) {
    progress.fail((e as Error).message);
    throw e;
  }
  progress.finish(`${count} tokens`);
  const out = new Int32Array(count);
  let at = 0;
  for (const piece of ids) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/**
 * The first safe split at or after `from`, or the text's end: just after a single '\n' (a
 * non-space before it) and before a letter or digit. A run of newlines would not do: GPT-2's
 * regex reads '\n\n' before a letter as two pre-tokens but as one at the end of a piece.
 */
function pieceEnd(text: string, from: number): number {
  const boundary = /(?<=\S)\n(?=[\p{L}\p{N}])/gu;
  boundary.lastIndex = Math.max(0, from - 1);
  const m = boundary.exec(text);
  return m ? m.index + 1 : text.length;
}

/**
 * - 'none' (default): only `input_ids` = tokens[s, s + blockSize). For torchtrain's causal_lm
 *   loss (losses, TaskSpec type 'causal_lm'), which shifts by itself as Hugging Face's models do:
 *   logits[:, :-1] against input_ids[:, 1:].
 * - 'next-token': also `labels` = tokens[s + 1, s + blockSize + 1), already shifted (nanoGPT's
 *   x, y), for a hand-written loop comparing logits[t] with labels[t] by plain cross entropy.
 *   Do not give these to the causal_lm loss: it would shift them a second time.
 */
export type LmLabels = 'next-token' | 'none';

const optionsSchema = z.object({
  blockSize: z.number().int().positive(),
  stride: z.number().int().positive().optional(),
  labels: z.enum(['next-token', 'none']).default('none'),
  fields: z.object({ inputs: z.string().min(1).default('input_ids'), labels: z.string().min(1).default('labels') }).strict().default({ inputs: 'input_ids', labels: 'labels' }),
}).strict();

export interface TextCorpusOptions {
  /** Tokens per sample. */
  blockSize: number;
  /** Tokens between the starts of consecutive blocks; blockSize (no overlap) by default. */
  stride?: number;
  labels?: LmLabels;
  /** Sample field names; input_ids and labels by default (TaskSpec's defaults). */
  fields?: { inputs?: string; labels?: string };
  /** How the text becomes ids; a CharTokenizer of the text itself by default. */
  tokenizer?: Tokenizer;
}

/** Already-tokenized text: what a worker thread receives instead of the text and tokenizer. */
export interface TokenizedText {
  tokens: ArrayLike<number>;
  vocabSize: number;
}

export type TextCorpusSample = Record<string, Int32Array>;

export class TextCorpus implements MapDataset<TextCorpusSample>, WorkerConstructible {
  readonly tokens: Int32Array;
  readonly vocabSize: number;
  /** Undefined when the corpus was built from tokens (as in a worker). */
  readonly tokenizer: Tokenizer | undefined;
  readonly blockSize: number;
  readonly stride: number;
  readonly labels: LmLabels;
  readonly fields: { inputs: string; labels: string };
  readonly length: number;

  constructor(source: string | TokenizedText, options: TextCorpusOptions) {
    const { tokenizer, ...rest } = options ?? ({} as TextCorpusOptions);
    const parsed = optionsSchema.safeParse(rest);
    if (!parsed.success) {
      throw new TypeError(`TextCorpus options: ${formatZodError(parsed.error, rest, { root: '(options)' }).join('; ')}`);
    }
    const o = parsed.data;
    if (typeof source === 'string') {
      this.tokenizer = tokenizer ?? CharTokenizer.fromText(source);
      this.tokens = encodeCorpus(this.tokenizer, source);
      this.vocabSize = this.tokenizer.vocabSize;
    } else if (source && typeof source === 'object' && source.tokens !== undefined) {
      this.tokenizer = tokenizer;
      this.tokens = source.tokens instanceof Int32Array ? source.tokens : Int32Array.from(source.tokens);
      this.vocabSize = source.vocabSize;
    } else {
      throw new TypeError('TextCorpus: give a text (string) or { tokens, vocabSize }');
    }
    this.blockSize = o.blockSize;
    this.stride = o.stride ?? o.blockSize;
    this.labels = o.labels;
    this.fields = o.fields;
    // A 'next-token' sample reads one token past its block (the last label).
    const span = this.blockSize + (this.labels === 'next-token' ? 1 : 0);
    this.length = this.tokens.length < span ? 0 : Math.floor((this.tokens.length - span) / this.stride) + 1;
    if (this.length === 0) {
      throw new RangeError(`TextCorpus: the text has ${this.tokens.length} tokens, fewer than one block needs (${span}); use a smaller blockSize or a longer text`);
    }
  }

  /** Reads a UTF-8 text file. */
  static fromFile(path: string, options: TextCorpusOptions): TextCorpus {
    // A number would be read as a file descriptor (fromFile(0) waits on stdin forever).
    if (typeof path !== 'string') throw new TypeError(`TextCorpus.fromFile: path must be a string (a file path), got ${typeof path}`);
    return new TextCorpus(readFileSync(path, 'utf8'), options);
  }

  /** The sample of block `index`: fresh arrays (not views of the corpus, which would clone it whole when posted). */
  get(index: number): TextCorpusSample {
    checkIndex(index, this.length, 'TextCorpus');
    const start = index * this.stride;
    const sample: TextCorpusSample = { [this.fields.inputs]: this.tokens.slice(start, start + this.blockSize) };
    if (this.labels === 'next-token') sample[this.fields.labels] = this.tokens.slice(start + 1, start + 1 + this.blockSize);
    return sample;
  }

  decode(ids: ArrayLike<number>): string {
    if (!this.tokenizer) throw new Error('TextCorpus.decode: this corpus was built from tokens and has no tokenizer');
    return this.tokenizer.decode(ids);
  }

  /** Workers get the token ids (the tokenizer, an object with methods, cannot be sent). */
  /** This corpus with `transform` applied to each block as it is read. */
  map<U>(transform: Transform<TextCorpusSample, U>, options?: TransformOptions): MappedMapDataset<TextCorpusSample, U> {
    return new MappedMapDataset(this, transform, options);
  }

  workerSource(): DatasetSource {
    return {
      module: import.meta.url,
      export: 'TextCorpus',
      args: [{ tokens: this.tokens, vocabSize: this.vocabSize }, { blockSize: this.blockSize, stride: this.stride, labels: this.labels, fields: this.fields }],
    };
  }
}
