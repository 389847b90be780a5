// How long DataLoader worker threads live, and how an iteration is stopped from outside:
// interrupt() ends a wait that would never end (a dataset get() that hangs), workers stop at an
// epoch's end unless persistentWorkers, at close(), and when the loader is garbage-collected;
// workers release their datasets' open files when they stop; and they start in programs run with
// flags meant for the main script only (--input-type=module).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as data from '../../lib/data/index.js';
import { WorkerPool, workerExecArgv } from '../../lib/data/worker-pool.js';
import { HangingDataset, HangingStream, ToyDataset } from './fixtures/toy-datasets.js';

const { DataLoader, DataLoaderInterrupted } = data;
const FIXTURES = new URL('./fixtures/toy-datasets.ts', import.meta.url).href;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Threads of this process (the main thread, libuv's and libtorch's, and worker threads). */
const threadCount = () => readdirSync('/proc/self/task').length;
const openFiles = () => readdirSync('/proc/self/fd').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gc = (globalThis as { gc?: () => void }).gc;

/** Polls (collecting garbage each time) until `check` holds; false after `ms`. */
async function eventually(check: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    gc?.();
    if (check()) return true;
    await sleep(25);
  }
  return check();
}

/** `promise`, or a 'timed out' rejection after `ms`: a wait that never ends fails the test instead of hanging it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function drain(loader: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of loader) n++;
  return n;
}

describe('DataLoader.interrupt', () => {
  it('rejects a next() waiting on a worker whose get() never settles, and terminates the workers', async () => {
    const before = WorkerPool.liveThreads;
    const loader = new DataLoader(new HangingDataset(8, 3), { batchSize: 1, numWorkers: 2, prefetch: 2 });
    const it = loader[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) expect((await it.next()).done).toBe(false);
    expect(WorkerPool.liveThreads).toBe(before + 2);
    let settled = false;
    const waiting = it.next().finally(() => { settled = true; });
    waiting.catch(() => {});
    await sleep(200);
    expect(settled).toBe(false); // batch 3 hangs in the worker
    const stopped = loader.interrupt('SIGINT');
    const error = await within(waiting.catch((e: unknown) => e), 5_000, 'the interrupted next()');
    expect(error).toBeInstanceOf(DataLoaderInterrupted);
    expect((error as InstanceType<typeof DataLoaderInterrupted>).reason).toBe('SIGINT');
    expect(String(error)).toMatch(/interrupted \(SIGINT\)/);
    await within(stopped, 5_000, 'the worker threads\' exit');
    expect(WorkerPool.liveThreads).toBe(before);
    // The iteration is over; the loader itself starts afresh.
    expect((await it.next()).done).toBe(true);
    const again = loader[Symbol.asyncIterator]();
    expect((await again.next()).done).toBe(false);
    await again.return!();
    await loader.close();
    expect(WorkerPool.liveThreads).toBe(before);
  });

  it('ends every other kind of wait: a main-thread get(), streams on the main thread and in workers, workers still starting', async () => {
    const before = WorkerPool.liveThreads;
    const neverReady = { length: 4, get: (i: number) => ({ x: [i] }), workerSource: () => ({ module: FIXTURES, export: 'neverReady' }) };
    const cases: [string, { interrupt(reason: unknown): Promise<void>; [Symbol.asyncIterator](): AsyncIterator<unknown> }][] = [
      ['main-thread get()', new DataLoader(new HangingDataset(8, 0), { batchSize: 2 })],
      ['main-thread stream', new DataLoader(new HangingStream(1), { batchSize: 2 })],
      ['worker stream', new DataLoader(new HangingStream(1), { batchSize: 2, numWorkers: 2 })],
      ['workers building their dataset', new DataLoader(neverReady as data.MapDataset, { numWorkers: 1 })],
    ];
    for (const [what, loader] of cases) {
      const waiting = loader[Symbol.asyncIterator]().next();
      waiting.catch(() => {});
      await sleep(150);
      const stopped = loader.interrupt(new Error('stop requested'));
      const error = await within(waiting.catch((e: unknown) => e), 5_000, what);
      expect(error, what).toBeInstanceOf(DataLoaderInterrupted);
      expect(String(error), what).toMatch(/stop requested/);
      await within(stopped, 5_000, `${what}: the workers' exit`);
      expect(WorkerPool.liveThreads, what).toBe(before);
    }
  });

  it('close() during an iteration ends it the same way', async () => {
    const loader = new DataLoader(new HangingDataset(4, 0), { numWorkers: 1 });
    const waiting = loader[Symbol.asyncIterator]().next();
    waiting.catch(() => {});
    await sleep(100);
    await loader.close();
    await expect(waiting).rejects.toBeInstanceOf(DataLoaderInterrupted);
  });
});

describe('DataLoader worker threads: who stops them', () => {
  // Before: each loader left its worker's threads running (a 100-trial sweep reached 413 threads).
  // 30 loaders, not 100: a worker started from TypeScript sources costs ~0.5 s of CPU here.
  it('stop when an epoch ends: 30 loaders iterated once and dropped leave no thread behind', async () => {
    const startThreads = threadCount();
    const startWorkers = WorkerPool.liveThreads;
    for (let i = 0; i < 30; i++) {
      expect(await drain(new DataLoader(new ToyDataset(4), { batchSize: 2, numWorkers: 1, collateOptions: { padTokenId: 0 } }))).toBe(2);
      expect(WorkerPool.liveThreads).toBe(startWorkers);
    }
    expect(await eventually(() => threadCount() <= startThreads + 2)).toBe(true);
  });

  it('stop when an iteration ends early (break) or fails', async () => {
    const before = WorkerPool.liveThreads;
    const loader = new DataLoader(new ToyDataset(40), { batchSize: 2, numWorkers: 2, collateOptions: { padTokenId: 0 } });
    for await (const _ of loader) {
      expect(WorkerPool.liveThreads).toBe(before + 2);
      break;
    }
    expect(loader.persistentWorkers).toBe(false);
    expect(WorkerPool.liveThreads).toBe(before);
    // ... and when it ends with an error (sample 3 holds NaN).
    const bad = new DataLoader(await data.datasetFromModule(FIXTURES, 'makeNumbers', [6, 3]), { batchSize: 2, numWorkers: 2 });
    await expect(drain(bad)).rejects.toThrow(/NaN/);
    expect(WorkerPool.liveThreads).toBe(before);
  });

  it('with persistentWorkers stay across epochs until close()', async () => {
    const before = WorkerPool.liveThreads;
    const loader = new DataLoader(new ToyDataset(10), { batchSize: 4, numWorkers: 2, persistentWorkers: true, collateOptions: { padTokenId: 0 } });
    expect(await drain(loader)).toBe(3);
    expect(WorkerPool.liveThreads).toBe(before + 2);
    expect(await drain(loader)).toBe(3);
    expect(WorkerPool.liveThreads).toBe(before + 2); // the same two threads, not new ones
    await loader.close();
    expect(WorkerPool.liveThreads).toBe(before);
  });

  it.skipIf(!gc)('with persistentWorkers stop when the loader is garbage-collected', async () => {
    const before = WorkerPool.liveThreads;
    await (async () => {
      const loader = new DataLoader(new ToyDataset(6), { batchSize: 3, numWorkers: 2, persistentWorkers: true, collateOptions: { padTokenId: 0 } });
      expect(await drain(loader)).toBe(2);
    })();
    expect(WorkerPool.liveThreads).toBe(before + 2);
    expect(await eventually(() => WorkerPool.liveThreads === before)).toBe(true);
  });

  it('close the files their datasets hold when they stop (a terminated thread would leave them open)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tt-lifecycle-'));
    const path = join(dir, 'rows.jsonl');
    writeFileSync(path, Array.from({ length: 12 }, (_, i) => JSON.stringify({ x: [i, i + 1] })).join('\n'));
    const indexed = await new data.JsonlDataset(path).index();
    const files = openFiles();
    for (let i = 0; i < 2; i++) {
      const loader = new DataLoader(indexed, { batchSize: 4, numWorkers: 2, persistentWorkers: true });
      expect(await drain(loader)).toBe(3);
      await loader.close();
      const stream = new DataLoader(new data.JsonlDataset(path), { batchSize: 4, numWorkers: 2 });
      for await (const _ of stream) break;
    }
    expect(await eventually(() => openFiles() <= files)).toBe(true);
  });

  it.skipIf(!gc)('an IndexedJsonlDataset dropped open has its file closed by the garbage collector', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tt-lifecycle-'));
    const path = join(dir, 'rows.jsonl');
    writeFileSync(path, '{"x":1}\n{"x":2}\n');
    const files = openFiles();
    await (async () => {
      for (let i = 0; i < 20; i++) expect((await new data.JsonlDataset(path).index()).get(1)).toEqual({ x: 2 });
    })();
    expect(await eventually(() => openFiles() <= files)).toBe(true);
  });
});

describe('DataLoader workers and the parent\'s Node flags', () => {
  it('drop flags that break the worker bootstrap or belong to the main script; keep loaders and V8 flags', () => {
    expect(workerExecArgv(['--input-type=module', '--import', 'tsx', '-e', 'code()', '--expose-gc'])).toEqual(['--import', 'tsx', '--expose-gc']);
    expect(workerExecArgv(['--input-type', 'module', '--eval=x', '-p', 'y', '--loader', 'ts-node/esm', '-r', 'a.cjs', '--experimental-default-type=module', '--conditions=dev']))
      .toEqual(['--loader', 'ts-node/esm', '-r', 'a.cjs', '--conditions=dev']);
    expect(workerExecArgv(['--watch', '--test', '--check', '--inspect-brk=0', '--enable-source-maps'])).toEqual(['--enable-source-maps']);
  });

  // Before: "DataLoader worker 0 crashed: require is not defined in ES module scope". --expose-gc:
  // a flag Node refuses in a worker's execArgv once the list is given explicitly.
  it('start in a program run with node --expose-gc --input-type=module -e "..."', async () => {
    const script = `
      const data = await import(${JSON.stringify(new URL('../../lib/data/index.ts', import.meta.url).href)});
      const loader = new data.DataLoader(new data.InMemoryDataset([{ x: [1] }, { x: [2] }, { x: [3] }]), { batchSize: 2, numWorkers: 1 });
      let n = 0;
      for await (const batch of loader) n += batch.x.shape[0];
      console.log('samples=' + n);`;
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
      execFile(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 });
      });
    });
    expect(stderr).not.toMatch(/require is not defined/);
    expect({ code, stdout: stdout.trim() }).toEqual({ code: 0, stdout: 'samples=3' });
  });
});
