// A bundle's tokenizer as JSON: the tokenizers torchtrain ships (lib/data/tokenizers.ts) are
// saved by what defines them — a character vocabulary, nothing for bytes, an encoding's name for
// BPE. Any other tokenizer (your own class) cannot be rebuilt from text: the bundle says so in
// its manifest and card instead of guessing.
import { z } from 'zod';
import { BpeTokenizer, ByteTokenizer, CharTokenizer, type BpeEncodingName, type Tokenizer } from '../data/tokenizers.js';
import { formatZodError } from '../core/validation.js';
import { BundleError } from './format.js';

const savedSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('char'), chars: z.array(z.string()) }),
  z.strictObject({ type: z.literal('byte') }),
  z.strictObject({ type: z.literal('bpe'), encoding: z.enum(['r50k_base', 'p50k_base', 'cl100k_base', 'o200k_base']) }),
]);

export type SavedTokenizer = z.output<typeof savedSchema>;

/** The tokenizer as JSON, or why it cannot be saved. */
export function saveTokenizer(tokenizer: Tokenizer): { saved: SavedTokenizer } | { unsaved: string } {
  if (tokenizer instanceof CharTokenizer) return { saved: tokenizer.toJSON() };
  if (tokenizer instanceof ByteTokenizer) return { saved: { type: 'byte' } };
  if (tokenizer instanceof BpeTokenizer) return { saved: { type: 'bpe', encoding: tokenizer.encoding } };
  const name = (tokenizer as object)?.constructor?.name ?? 'object';
  return { unsaved: `the tokenizer (${name}) is not one torchtrain can save (CharTokenizer, ByteTokenizer, BpeTokenizer); ship it with the bundle yourself` };
}

/** Rebuilds a saved tokenizer (BPE vocabularies load on demand, hence async). */
export async function restoreTokenizer(raw: unknown, file: string): Promise<Tokenizer> {
  const parsed = savedSchema.safeParse(raw);
  if (!parsed.success) throw new BundleError(`${file}: not a saved tokenizer:\n  ${formatZodError(parsed.error, raw, { root: '(tokenizer)' }).join('\n  ')}\nexport the bundle again`);
  const s = parsed.data;
  if (s.type === 'char') return new CharTokenizer(s.chars);
  if (s.type === 'byte') return new ByteTokenizer();
  return BpeTokenizer.load(s.encoding as BpeEncodingName);
}

/**
 * The tokenizer a Trainer trained with, where it can be found: the DialogueAdapter's, or the
 * training data's (a DataLoader over a TextCorpus). Read structurally: lib/bundle does not need
 * to know every source.
 */
export function findTokenizer(adapter: unknown, train: unknown): Tokenizer | undefined {
  const isTokenizer = (t: unknown): t is Tokenizer => !!t && typeof (t as Tokenizer).encode === 'function' && typeof (t as Tokenizer).decode === 'function'
    && typeof (t as Tokenizer).vocabSize === 'number';
  const fromAdapter = (adapter as { tokenizer?: unknown } | undefined)?.tokenizer;
  if (isTokenizer(fromAdapter)) return fromAdapter;
  const dataset = (train as { dataset?: { tokenizer?: unknown } } | undefined)?.dataset;
  if (isTokenizer(dataset?.tokenizer)) return dataset.tokenizer;
  return undefined;
}
