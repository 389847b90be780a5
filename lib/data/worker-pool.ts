// The main thread's side of DataLoader workers: starts node:worker_threads workers that rebuild
// the dataset from its source, sends each a queue of requests, and matches replies to promises.
// Plain worker_threads rather than a pool library: a worker holds state (its dataset, and for a
// stream its shard's iterator), so each request goes to a chosen worker (batch k to worker
// k % n), which a task pool such as piscina (any free worker) does not offer.
// Idle workers are unref'd, so a loader that is not closed does not keep the process alive.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DatasetSource } from './dataset.js';
import { DataError } from './errors.js';
import type { SerializedError } from './batch-assembly.js';
import type { WorkerReply, WorkerRequest } from './worker-entry.js';

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
type Result = Extract<WorkerReply, { type: 'result' }>;

const TS_MODULE = /\.[mc]?ts$/;

/** Where tsx's register API lives, for workers that must import TypeScript (tests, `tsx` scripts). */
function tsxApi(why: string): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
    return pathToFileURL(join(dirname(pkg), 'dist/esm/api/index.mjs')).href;
  } catch {
    throw new Error(`DataLoader workers must import ${why}, which is TypeScript: install tsx (npm install --save-dev tsx), or point the dataset at compiled JavaScript`);
  }
}

// Worker threads do not inherit a TypeScript loader (tsx's hooks skip them), so the bootstrap
// registers one itself before importing the entry; compiled JavaScript needs nothing.
const BOOTSTRAP = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((e) => parentPort.postMessage({ type: 'fatal', id: -1, error: { name: e && e.name || 'Error', message: String(e && e.message || e), stack: e && e.stack } }));
`;

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: Result) => void; reject: (e: Error) => void }>;
  failed?: Error;
}

export function workerError(index: number, e: SerializedError): Error {
  if (e.name === 'DataError') {
    const err = new DataError(e.message, (e.where ?? {}) as ConstructorParameters<typeof DataError>[1]);
    if (e.stack) err.stack = e.stack;
    return err;
  }
  const err = new Error(`DataLoader worker ${index}: ${e.name}: ${e.message}`);
  if (e.stack) err.stack = `${err.message}\n(worker stack)\n${e.stack}`;
  return err;
}

export class WorkerPool {
  private nextId = 0;
  private closed = false;

  private constructor(private readonly slots: Slot[]) {}

  /** Starts `count` workers and waits until each has built its dataset (or one failed). */
  static async start(source: DatasetSource, count: number): Promise<WorkerPool> {
    const here = import.meta.url;
    const fromSources = TS_MODULE.test(new URL(here).pathname);
    const entry = new URL(fromSources ? './worker-entry.ts' : './worker-entry.js', here).href;
    const tsModule = [source.module, ...(source.imports ?? [])].find((m) => TS_MODULE.test(m));
    const tsx = fromSources ? tsxApi('torchtrain from its sources') : tsModule ? tsxApi(tsModule) : undefined;
    const slots: Slot[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { source, entry, tsx }, name: `torchtrain DataLoader worker ${i}` });
      const slot: Slot = { worker, pending: new Map() };
      slots.push(slot);
      ready.push(new Promise<void>((resolve, reject) => {
        worker.on('message', (msg: WorkerReply) => {
          if (msg.type === 'ready') return resolve();
          if (msg.type === 'fatal') {
            slot.failed = new Error(`DataLoader worker ${i} could not build the dataset from ${source.module}#${source.export ?? 'default'}: ${msg.error.message}`);
            if (msg.error.stack) slot.failed.stack = `${slot.failed.message}\n(worker stack)\n${msg.error.stack}`;
            reject(slot.failed);
            return failAll(slot, slot.failed);
          }
          const waiter = slot.pending.get(msg.id);
          if (!waiter) return; // a reply for an iteration that was abandoned
          slot.pending.delete(msg.id);
          if (slot.pending.size === 0) worker.unref();
          if (msg.type === 'error') waiter.reject(workerError(i, msg.error));
          else waiter.resolve(msg);
        });
        worker.on('error', (e) => {
          slot.failed = new Error(`DataLoader worker ${i} crashed: ${e.message}`);
          reject(slot.failed);
          failAll(slot, slot.failed);
        });
        worker.on('exit', (code) => {
          slot.failed ??= new Error(`DataLoader worker ${i} exited (code ${code})`);
          reject(slot.failed);
          failAll(slot, slot.failed);
        });
      }));
    }
    const pool = new WorkerPool(slots);
    try {
      await Promise.all(ready);
    } catch (e) {
      await pool.close();
      throw e;
    }
    for (const slot of slots) slot.worker.unref();
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Sends a request to worker `index`; requests to one worker are answered in order. */
  request(index: number, message: Request): Promise<Result> {
    const slot = this.slots[index]!;
    if (this.closed) return Promise.reject(new Error('DataLoader: the worker pool was closed'));
    if (slot.failed) return Promise.reject(slot.failed);
    const id = this.nextId++;
    const promise = new Promise<Result>((resolve, reject) => slot.pending.set(id, { resolve, reject }));
    slot.worker.ref(); // an outstanding request keeps the process alive until it is answered
    slot.worker.postMessage({ ...message, id });
    return promise;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map(async (slot) => {
      slot.failed ??= new Error('DataLoader: the worker pool was closed');
      failAll(slot, slot.failed);
      await slot.worker.terminate();
    }));
  }
}

function failAll(slot: Slot, error: Error): void {
  for (const waiter of slot.pending.values()) waiter.reject(error);
  slot.pending.clear();
}
