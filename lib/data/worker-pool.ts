// The main thread's side of DataLoader workers: starts node:worker_threads workers that rebuild
// the dataset from its source, sends each a queue of requests, and matches replies to promises.
// Plain worker_threads rather than a pool library: a worker holds state (its dataset, and for a
// stream its shard's iterator), so each request goes to a chosen worker (batch k to worker
// k % n), which a task pool such as piscina (any free worker) does not offer.
// Idle workers are unref'd, so a loader that is not closed does not keep the process alive.
// The pool knows nothing of its loader, so a loader can be collected while its pool runs (the
// loader's FinalizationRegistry then closes the pool).
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
  /** Settles when the thread has exited (however it ended). */
  exited: Promise<void>;
  /** Called when the worker says it released its dataset's resources, while closing. */
  onClosed?: () => void;
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

/** How long a closing worker may take to release what its dataset holds before it is terminated. */
const CLOSE_GRACE_MS = 1000;

export class WorkerPool {
  private static liveWorkers = 0;
  /** Worker threads started by any pool that have not exited yet (tests, diagnostics). */
  static get liveThreads(): number {
    return WorkerPool.liveWorkers;
  }

  /** Settles when every worker has built its dataset; rejects (and closes the pool) if one failed. */
  readonly ready: Promise<void>;
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed: Promise<void> | undefined;

  /** Starts `count` workers at once; `ready` says when they can take requests. close() works before that. */
  constructor(source: DatasetSource, count: number) {
    const here = import.meta.url;
    const fromSources = TS_MODULE.test(new URL(here).pathname);
    const entry = new URL(fromSources ? './worker-entry.ts' : './worker-entry.js', here).href;
    const tsModule = [source.module, ...(source.imports ?? [])].find((m) => TS_MODULE.test(m));
    const tsx = fromSources ? tsxApi('torchtrain from its sources') : tsModule ? tsxApi(tsModule) : undefined;
    const ready: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      let worker: Worker;
      try {
        worker = startWorker({ workerData: { source, entry, tsx }, name: `torchtrain DataLoader worker ${i}` });
      } catch (e) {
        void this.close(); // the workers already started must not outlive this failure
        throw e;
      }
      WorkerPool.liveWorkers++;
      const slot: Slot = { worker, pending: new Map(), exited: new Promise<void>((resolve) => worker.once('exit', () => resolve())) };
      this.slots.push(slot);
      ready.push(new Promise<void>((resolve, reject) => {
        worker.on('message', (msg: WorkerReply) => {
          if (msg.type === 'ready') return resolve();
          if (msg.type === 'closed') return slot.onClosed?.();
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
          WorkerPool.liveWorkers--;
          slot.failed ??= new Error(`DataLoader worker ${i} exited (code ${code})`);
          reject(slot.failed);
          failAll(slot, slot.failed);
        });
      }));
    }
    this.ready = Promise.all(ready).then(
      () => {
        for (const slot of this.slots) slot.worker.unref();
      },
      async (e: unknown) => {
        await this.close();
        throw e;
      },
    );
    this.ready.catch(() => {}); // whoever needs the pool awaits it; a pool closed unused must not warn
  }

  /** Starts `count` workers and waits until each has built its dataset (or one failed). */
  static async start(source: DatasetSource, count: number): Promise<WorkerPool> {
    const pool = new WorkerPool(source, count);
    await pool.ready;
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  get isClosed(): boolean {
    return this.closed !== undefined;
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

  /**
   * Stops the workers: requests waiting for a reply are rejected at once; each worker is asked to
   * release what its dataset holds (open files, stream iterators: a terminated thread does not
   * close file descriptors) and is terminated when it has, or after a grace period if it is busy.
   * Settles when every thread has exited.
   */
  close(): Promise<void> {
    this.closed ??= Promise.all(this.slots.map(async (slot) => {
      slot.failed ??= new Error('DataLoader: the worker pool was closed');
      failAll(slot, slot.failed);
      const released = new Promise<void>((resolve) => {
        slot.onClosed = resolve;
        const timer = setTimeout(resolve, CLOSE_GRACE_MS);
        timer.unref();
        void slot.exited.then(() => clearTimeout(timer));
      });
      try {
        slot.worker.ref(); // whoever awaits close() must not see the process exit under it
        slot.worker.postMessage({ type: 'close', id: -1 });
      } catch {
        // already gone
      }
      await Promise.race([released, slot.exited]);
      await slot.worker.terminate();
      await slot.exited;
    })).then(() => undefined);
    return this.closed;
  }
}

/** The flags workers start with, once a worker accepted them (undefined: not known yet). */
let acceptedExecArgv: string[] | undefined;

/**
 * A worker thread running the bootstrap. Without flags to drop it inherits the parent's (as
 * Node does by default); otherwise it gets the filtered list, minus whatever Node refuses in a
 * worker's execArgv (V8 and per-process flags such as --expose-gc, which apply to every thread
 * anyway; Node names them in ERR_WORKER_INVALID_EXEC_ARGV).
 */
function startWorker(options: { workerData: unknown; name: string }): Worker {
  let execArgv = acceptedExecArgv ?? workerExecArgv(process.execArgv);
  const inherit = execArgv.length === process.execArgv.length;
  for (let attempt = 0; ; attempt++) {
    try {
      const worker = new Worker(BOOTSTRAP, { eval: true, ...options, ...(inherit ? {} : { execArgv }) });
      acceptedExecArgv = execArgv;
      return worker;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || attempt > 2) throw e;
      const invalid = String((e as Error).message).replace(/^.*flags: /, '').split(', ');
      const kept = dropFlags(execArgv, (arg) => invalid.includes(arg));
      if (kept.length === execArgv.length) throw e;
      execArgv = kept;
    }
  }
}

/**
 * The Node flags a worker thread starts with: the parent's, minus those that would break the
 * worker's bootstrap (it is evaluated as CommonJS: `--input-type=module` or
 * `--experimental-default-type=module` make it ESM, where `require` is undefined) or that only mean
 * something to the main program (`-e`, `-p`, `--check`, `--test`, `--watch`, the inspector).
 * Loaders and preloads (`--import`, `--require`, `--loader`), conditions and V8 flags stay.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const dropped = /^(--input-type|--experimental-default-type|-e|--eval|-p|--print|-c|--check|-i|--interactive|--test|--test-.*|--watch|--watch-.*|--inspect|--inspect-.*|--debug-port|--experimental-test-.*)$/;
  return dropFlags(execArgv, (arg) => dropped.test(arg.startsWith('--') ? arg.split('=')[0]! : arg));
}

/**
 * execArgv without the flags `drop` picks, and their values: execArgv holds only flags and their
 * values (never the script or its arguments), so a dropped flag written without '=' takes the
 * next entry along when that is not a flag, and always for the code of -e/-p.
 */
function dropFlags(execArgv: readonly string[], drop: (arg: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (!drop(arg)) {
      out.push(arg);
      continue;
    }
    const next = execArgv[i + 1];
    if (!arg.includes('=') && next !== undefined && (/^(-e|--eval|-p|--print)$/.test(arg) || !next.startsWith('-'))) i++;
  }
  return out;
}

function failAll(slot: Slot, error: Error): void {
  for (const waiter of slot.pending.values()) waiter.reject(error);
  slot.pending.clear();
}
