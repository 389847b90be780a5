// Tokenizers for language-modelling corpora: characters (nanoGPT's shakespeare-char recipe),
// UTF-8 bytes (a fixed 256-id vocabulary that can encode any text) and OpenAI's BPE vocabularies
// through the gpt-tokenizer package (GPT-2's r50k_base and the later ones).

/**
 * The one tokenizer interface of torchtrain: every tokenizer implements it (CharTokenizer,
 * ByteTokenizer, BpeTokenizer, and yours), and everything that takes a tokenizer accepts it
 * (TextCorpus; the engine's DialogueAdapter, which uses only `encode`).
 */
export interface Tokenizer {
  /** Ids lie in [0, vocabSize): the model's embedding size (plus any ids you add, such as padding). */
  readonly vocabSize: number;
  /** Text to ids. */
  encode(text: string): number[];
  /** Ids to text. */
  decode(ids: ArrayLike<number>): string;
}

/** Compares strings by Unicode code point, as Python's sorted() does (JS's default sort uses UTF-16 units). */
function byCodePoint(a: string, b: string): number {
  const x = a.codePointAt(0)!;
  const y = b.codePointAt(0)!;
  return x - y;
}

/**
 * One id per distinct character (code point) of a text, in code-point order: the vocabulary
 * nanoGPT builds with `sorted(set(text))`, so ids do not depend on where characters first occur.
 */
export class CharTokenizer implements Tokenizer {
  readonly chars: readonly string[];
  private readonly ids = new Map<string, number>();

  /** `chars`: the vocabulary, one code point each; it is sorted and deduplicated. */
  constructor(chars: Iterable<string>) {
    const unique = new Set<string>();
    for (const c of chars) {
      if (typeof c !== 'string' || [...c].length !== 1) throw new TypeError(`CharTokenizer: each vocabulary entry must be one character; got ${JSON.stringify(c)}`);
      unique.add(c);
    }
    this.chars = [...unique].sort(byCodePoint);
    this.chars.forEach((c, i) => this.ids.set(c, i));
  }

  /** The vocabulary of every character in `text`. */
  static fromText(text: string): CharTokenizer {
    return new CharTokenizer(new Set(text));
  }

  get vocabSize(): number {
    return this.chars.length;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    let offset = 0;
    for (const c of text) {
      const id = this.ids.get(c);
      if (id === undefined) {
        throw new RangeError(`CharTokenizer.encode: character ${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) at offset ${offset} is not in the vocabulary of ${this.vocabSize}; build the tokenizer from a text that contains it`);
      }
      out.push(id);
      offset += c.length;
    }
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]!];
      if (c === undefined) throw new RangeError(`CharTokenizer.decode: id ${ids[i]} at position ${i} is outside the vocabulary [0, ${this.vocabSize})`);
      text += c;
    }
    return text;
  }

  /** The vocabulary, to save next to a checkpoint; `new CharTokenizer(saved.chars)` restores it. */
  toJSON(): { type: 'char'; chars: string[] } {
    return { type: 'char', chars: [...this.chars] };
  }
}

/** UTF-8 bytes as ids 0..255: no vocabulary to build or save, and no unknown characters. */
export class ByteTokenizer implements Tokenizer {
  readonly vocabSize = 256;
  private readonly encoder = new TextEncoder();
  // Not fatal: a block of bytes cut from the middle of a character still decodes (as U+FFFD).
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  encode(text: string): number[] {
    return Array.from(this.encoder.encode(text));
  }

  decode(ids: ArrayLike<number>): string {
    const bytes = new Uint8Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id > 255) throw new RangeError(`ByteTokenizer.decode: id ${id} at position ${i} is not a byte (0..255)`);
      bytes[i] = id;
    }
    return this.decoder.decode(bytes);
  }
}

/** OpenAI BPE vocabularies shipped by gpt-tokenizer. r50k_base is GPT-2's (50,257 ids). */
export type BpeEncodingName = 'r50k_base' | 'p50k_base' | 'cl100k_base' | 'o200k_base';

interface BpeModule {
  encode(text: string, options?: { allowedSpecial?: Set<string>; disallowedSpecial?: Set<string> }): number[];
  decode(ids: Iterable<number>): string;
  vocabularySize: number;
}

/**
 * A byte-pair-encoding tokenizer over one of OpenAI's vocabularies (gpt-tokenizer, pure JS).
 * `await BpeTokenizer.load('r50k_base')`: the vocabulary is a large module, imported on demand.
 */
export class BpeTokenizer implements Tokenizer {
  /** The end-of-text token id ('<|endoftext|>'), which documents are joined with for LM training. */
  readonly eotTokenId: number;

  private constructor(readonly encoding: BpeEncodingName, private readonly impl: BpeModule) {
    this.eotTokenId = impl.encode('<|endoftext|>', { allowedSpecial: new Set(['<|endoftext|>']) })[0]!;
  }

  static async load(encoding: BpeEncodingName = 'r50k_base'): Promise<BpeTokenizer> {
    // Literal specifiers, so bundlers and TypeScript see each one.
    switch (encoding) {
      case 'r50k_base': return new BpeTokenizer(encoding, await import('gpt-tokenizer/encoding/r50k_base'));
      case 'p50k_base': return new BpeTokenizer(encoding, await import('gpt-tokenizer/encoding/p50k_base'));
      case 'cl100k_base': return new BpeTokenizer(encoding, await import('gpt-tokenizer/encoding/cl100k_base'));
      case 'o200k_base': return new BpeTokenizer(encoding, await import('gpt-tokenizer/encoding/o200k_base'));
      default: throw new RangeError(`BpeTokenizer.load: unknown encoding ${JSON.stringify(encoding)}; use r50k_base (GPT-2), p50k_base, cl100k_base or o200k_base`);
    }
  }

  get vocabSize(): number {
    return this.impl.vocabularySize;
  }

  /** Special tokens in the text are encoded as ordinary text, unless listed in `allowedSpecial`. */
  encode(text: string, options: { allowedSpecial?: string[] } = {}): number[] {
    // gpt-tokenizer throws on special-token text by default; a corpus that merely mentions
    // '<|endoftext|>' should not fail, so such text is encoded as the characters it is.
    return this.impl.encode(text, { allowedSpecial: new Set(options.allowedSpecial ?? []), disallowedSpecial: new Set() });
  }

  decode(ids: ArrayLike<number>): string {
    return this.impl.decode(Array.from(ids));
  }
}
