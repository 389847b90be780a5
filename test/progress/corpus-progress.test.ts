// A long text is tokenised in pieces so that TextCorpus can show progress: the ids must be exactly
// those of one encode() call (the pieces end where no built-in tokenizer's pre-tokenizer joins
// across: after a single newline, before a letter or digit), and the progress lines arrive (the
// clock is faked so the work looks long; nothing about real time is asserted).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JsonlDataset } from '../../lib/data/jsonl.js';
import { BpeTokenizer, ByteTokenizer, type Tokenizer } from '../../lib/data/tokenizers.js';
import { TextCorpus } from '../../lib/data/text-corpus.js';
import { mobyDick } from '../../examples/datasets.js';

const text = mobyDick();
// Every shape of newline run the pieces could meet: '\n\n' before a letter is the case where
// GPT-2's regex reads differently at the end of a piece.
const tricky = 'x\n\nA b\n1 .\n/c \n d\r\ne'.repeat(15_000); // longer than one piece (262,144 chars)

function sameIds(tokenizer: Tokenizer, source: string): void {
  const whole = tokenizer.encode(source);
  const corpus = new TextCorpus(source, { blockSize: 8, tokenizer });
  expect(corpus.tokens.length).toBe(whole.length);
  expect(corpus.tokens.every((id, i) => id === whole[i])).toBe(true);
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('TextCorpus tokenising in pieces', () => {
  expect(text.length).toBeGreaterThan(1_000_000); // long enough to be cut into pieces

  it.each(['r50k_base', 'o200k_base'] as const)('%s: the same ids as one encode() call (Moby-Dick and newline runs)', async (encoding) => {
    const tokenizer = await BpeTokenizer.load(encoding);
    sameIds(tokenizer, text);
    sameIds(tokenizer, tricky);
  }, 60_000);

  it('bytes: the same ids as one encode() call', () => {
    sameIds(new ByteTokenizer(), text);
  });

  it('reports progress on stderr when the work is long, and nothing under TORCHTRAIN_PROGRESS=0', () => {
    const source = text.slice(0, 800_000);
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (clock += 700));
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    vi.stubEnv('TORCHTRAIN_PROGRESS', '1');
    const corpus = new TextCorpus(source, { blockSize: 8, tokenizer: new ByteTokenizer() });
    const lines = written.join('').split('\n').filter((l) => l.startsWith('tokenising corpus'));
    expect(lines.at(-1)).toMatch(new RegExp(`^tokenising corpus: done, ${source.length} chars in [\\d.]+ s \\(${corpus.tokens.length} tokens\\)$`));
    // Before it, the bar (stderr a terminal) or at least one plain line with the count.
    expect(lines.length).toBeGreaterThanOrEqual(2);
    if (!process.stderr.isTTY) expect(lines[0]).toMatch(/^tokenising corpus: \d+\/800000 chars, [\d.]+ chars\/s, ETA /);

    written.length = 0;
    vi.stubEnv('TORCHTRAIN_PROGRESS', '0');
    new TextCorpus(source, { blockSize: 8, tokenizer: new ByteTokenizer() });
    expect(written.join('')).not.toContain('tokenising');
  });
});

describe('JsonlDataset.index() progress', () => {
  it('reports the scan in MB when it is long, with the record count at the end', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'torchtrain-jsonl-progress-'));
    try {
      const file = path.join(dir, 'data.jsonl');
      writeFileSync(file, Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ i, text: 'x'.repeat(90) })).join('\n'));
      let clock = 0;
      vi.spyOn(performance, 'now').mockImplementation(() => (clock += 100));
      const written: string[] = [];
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
      vi.stubEnv('TORCHTRAIN_PROGRESS', '1');
      const indexed = await new JsonlDataset(file).index();
      vi.restoreAllMocks();
      expect(indexed.length).toBe(30_000);
      const lines = written.join('').split('\n').filter((l) => l.startsWith(`indexing ${file}`));
      expect(lines.at(-1)).toMatch(/: done, 4 MB in [\d.]+ s \(30000 records\)$/);
      indexed.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
