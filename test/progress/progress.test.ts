// startProgress against a fake stream and a fake clock (performance.now): plain lines with a count,
// rate and ETA when the stream is not a terminal, a cli-progress bar when it is, nothing for work
// shorter than quietForMs, nothing at all under TORCHTRAIN_PROGRESS=0. The clock is faked so the
// assertions are about what is printed, never about how long anything took.
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { engine } from '../../lib/index.js';
import { type ProgressStream, startProgress } from '../../lib/progress/index.js';

class FakeStream implements ProgressStream {
  readonly chunks: string[] = [];
  constructor(readonly isTTY: boolean) {}
  write(text: string): boolean {
    this.chunks.push(text);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
  get lines(): string[] {
    return this.text.split('\n').filter((l) => l.length > 0);
  }
}

let clock = 0;
const advance = (ms: number) => (clock += ms);

beforeEach(() => {
  clock = 1_000_000;
  vi.spyOn(performance, 'now').mockImplementation(() => clock);
  vi.stubEnv('TORCHTRAIN_PROGRESS', undefined);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('progress in logs (not a terminal)', () => {
  it('prints nothing for work shorter than quietForMs', () => {
    const stream = new FakeStream(false);
    const p = startProgress('tokenising corpus.txt', { total: 100, unit: 'lines', stream });
    for (let i = 0; i < 100; i++) {
      advance(5);
      p.tick();
    }
    p.finish();
    expect(stream.chunks).toEqual([]);
  });

  it('prints a line with count, rate and ETA, then at most one per lineEveryMs, then a done line', () => {
    const stream = new FakeStream(false);
    const p = startProgress('validation', { total: 100, unit: 'batches', stream, quietForMs: 1000, lineEveryMs: 10_000 });
    advance(2000);
    p.update(20); // 20 batches in 2 s: 10/s, 80 left: 8 s
    expect(stream.lines).toEqual(['validation: 20/100 batches, 10.0 batches/s, ETA 8 s']);
    advance(1000);
    p.update(30); // within lineEveryMs: no new line
    expect(stream.lines).toHaveLength(1);
    advance(9000);
    p.update(60);
    expect(stream.lines[1]).toBe('validation: 60/100 batches, 5.0 batches/s, ETA 8 s');
    advance(500);
    p.update(100);
    p.finish('42 tokens');
    expect(stream.lines).toHaveLength(3);
    expect(stream.lines[2]).toBe('validation: done, 100 batches in 12.5 s (42 tokens)');
  });

  it('without a total shows a count and rate (no ETA), and long ETAs in minutes', () => {
    const stream = new FakeStream(false);
    const open = startProgress('reading', { unit: 'rows', stream, quietForMs: 0 });
    advance(1000);
    open.update(250);
    expect(stream.lines[0]).toBe('reading: 250 rows, 250 rows/s');
    const slow = startProgress('profiling', { total: 1000, stream, quietForMs: 0 });
    advance(10_000);
    slow.update(10);
    expect(stream.lines[1]).toBe('profiling: 10/1000 items, 1.0 items/s, ETA 16.5 min');
  });

  it('prints a done line for long work even when no update came in time', () => {
    const stream = new FakeStream(false);
    const p = startProgress('writing checkpoint-10', { unit: 'files', stream });
    p.tick(); // at 0 ms: still quiet
    advance(3000);
    p.finish();
    expect(stream.lines).toEqual(['writing checkpoint-10: done, 1 files in 3.0 s']);
  });

  it('fail() says where the work stopped, only when something was shown', () => {
    const quiet = new FakeStream(false);
    const short = startProgress('short', { total: 10, stream: quiet });
    short.tick();
    short.fail('disk full');
    expect(quiet.chunks).toEqual([]);

    const stream = new FakeStream(false);
    const p = startProgress('tokenising', { total: 10, unit: 'lines', stream, quietForMs: 0 });
    advance(1000);
    p.update(4);
    p.fail('bad UTF-8 at line 5');
    p.finish(); // after fail: nothing more
    expect(stream.lines.at(-1)).toBe('tokenising: stopped at 4/10 lines after 1.0 s (bad UTF-8 at line 5)');
    expect(stream.lines).toHaveLength(2);
  });

  it('TORCHTRAIN_PROGRESS=0 silences everything', () => {
    vi.stubEnv('TORCHTRAIN_PROGRESS', '0');
    const stream = new FakeStream(false);
    const p = startProgress('validation', { total: 5, stream, quietForMs: 0, lineEveryMs: 0 });
    for (let i = 0; i < 5; i++) {
      advance(10_000);
      p.tick();
    }
    p.finish();
    expect(stream.chunks).toEqual([]);
  });
});

describe('progress on a terminal', () => {
  it('draws a bar with the label, count and ETA, and ends with a done line', () => {
    const stream = new FakeStream(true);
    const p = startProgress('tokenising', { total: 50, unit: 'lines', stream });
    try {
      advance(500);
      p.tick(5); // still quiet
      expect(stream.chunks).toEqual([]);
      advance(1000);
      p.tick(20);
      // eslint-disable-next-line no-control-regex
      const plain = stream.text.replace(/\x1B\[[0-9;?]*[A-Za-z]|\x1B[78]/g, '');
      expect(plain).toMatch(/tokenising \|[█░]+\| 25\/50 lines \| 16.7 lines\/s \| ETA 2 s/);
    } finally {
      p.finish();
    }
    expect(stream.lines.at(-1)).toBe('tokenising: done, 25 lines in 1.5 s');
    // The cursor is never hidden (a killed run would leave the terminal without one).
    expect(stream.text).not.toContain('\x1B[?25l');
  });

  it('writes to the terminal nothing for quick work and nothing under TORCHTRAIN_PROGRESS=0', () => {
    const quick = new FakeStream(true);
    const p = startProgress('quick', { total: 3, stream: quick });
    p.tick(3);
    p.finish();
    expect(quick.chunks).toEqual([]);

    vi.stubEnv('TORCHTRAIN_PROGRESS', '0');
    const off = new FakeStream(true);
    const q = startProgress('off', { total: 3, stream: off, quietForMs: 0 });
    advance(5000);
    q.tick(3);
    q.finish();
    expect(off.chunks).toEqual([]);
  });
});

describe('engine.ProgressBar', () => {
  it('takes any writable, e.g. a file stream (tsc checks the type; the epoch line arrives in the file)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'torchtrain-progress-'));
    try {
      const file = path.join(dir, 'progress.log');
      const stream = createWriteStream(file);
      const bar = new engine.ProgressBar({ stream });
      bar.onTrainEpochEnd({} as never, { epoch: 0, loss: 0.5, throughput: 100, seconds: 2 } as never);
      await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
      expect(readFileSync(file, 'utf8')).toBe('epoch 1: loss 0.5000 | 100 items/s | 2.0 s\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('on a terminal, steps aside for validation and comes back at the same batch', () => {
    vi.restoreAllMocks(); // cli-progress's own timers; nothing here depends on the clock
    const stream = new FakeStream(true);
    const bar = new engine.ProgressBar({ stream });
    const view = { batchesPerEpoch: 10, logs: { 'train/loss': 0.25 } } as never;
    const step = (i: number) => ({ epoch: 0, step: i + 1, batchIndex: i, optimizerStep: null }) as never;
    bar.onTrainEpochStart(view, 0);
    bar.onTrainBatchEnd(view, step(0));
    bar.onTrainBatchEnd(view, step(1));
    bar.onValidationStart();
    const during = stream.chunks.length;
    bar.onTrainBatchEnd(view, step(2));
    // eslint-disable-next-line no-control-regex
    const after = stream.chunks.slice(during).join('').replace(/\x1B\[[0-9;?]*[A-Za-z]|\x1B[78]/g, '');
    expect(after).toMatch(/epoch 1 \|[█░]+\| 2\/10 batches/); // restarted where it stopped
    bar.onTrainEpochEnd(view, { epoch: 0, loss: 0.25, throughput: 10, seconds: 1 } as never);
    expect(stream.lines.at(-1)).toBe('epoch 1: loss 0.2500 | 10 items/s | 1.0 s');
  });
});
