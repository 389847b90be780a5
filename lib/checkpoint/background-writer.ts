// The background writer: one worker thread per process that writes checkpoints after the step
// boundary's snapshot (write-worker.ts), in the order they were handed over, while training goes
// on. The snapshot's tensor buffers move to the worker without a copy. The main thread learns of
// a finished write from a message (between steps), by polling (at each step boundary), or by
// blocking until it is done (the next save, the end of fit) with Atomics.wait on a counter the
// worker bumps. Where no worker thread can start, writes run on the caller's thread instead.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { workerExecArgv } from '../data/worker-pool.js';
import { transferables } from './file-bytes.js';
import { describeFailure, failureError, runWriteJob, type WriteJob, type WriteReply } from './write-job.js';

/** A write handed to the background writer. */
export interface PendingWrite {
  readonly id: number;
  readonly step: number;
  /** 'writing' until the worker answers. */
  state: 'writing' | 'done' | 'failed';
  /** The checkpoint folder, once written. */
  path?: string;
  error?: Error;
  /** Settles with the write (rejections are handled: awaiting it is optional). */
  readonly promise: Promise<string>;
}

interface Entry {
  write: PendingWrite;
  root: string;
  temp: string;
  settled: (write: PendingWrite) => void;
  resolve: (path: string) => void;
  reject: (err: Error) => void;
}

// CommonJS, evaluated by the worker: runs the entry's code (bundled into one CommonJS script when
// it is TypeScript, see workerCode), or registers tsx and imports it, or imports the JavaScript.
// A failure to start is answered like a failed write (id -1), so no one waits for it forever.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  try {
    if (workerData.code) new Function('require', workerData.code)(require);
    else {
      if (workerData.tsx) (await import(workerData.tsx)).register();
      await import(workerData.entry);
    }
  } catch (err) {
    workerData.replies.postMessage({ id: -1, ok: false, failure: { name: 'Error', message: 'the checkpoint writer thread did not start: ' + (err && err.message || err), stack: err && err.stack } });
    Atomics.add(workerData.done, 0, 1);
    Atomics.notify(workerData.done, 0);
  }
})();
`;

/**
 * From TypeScript sources, the entry bundled into one CommonJS script with esbuild (which tsx
 * brings): the worker then starts in tens of milliseconds instead of registering tsx and
 * compiling module by module (a few hundred). Undefined where esbuild is not there.
 */
function workerCode(entry: string): string | undefined {
  try {
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const out = esbuild.buildSync({ entryPoints: [fileURLToPath(entry)], bundle: true, write: false, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent' });
    return out.outputFiles[0].text;
  } catch {
    return undefined;
  }
}

/** The torchtrain package folder above this module (also when bundled into another file). */
function packageRoot(from: string): string {
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'torchtrain') return dir;
    if (path.dirname(dir) === dir) throw new Error(`the checkpoint writer cannot find torchtrain's package.json above ${from}`);
  }
}

/** The worker's entry module, and tsx's register API where that is TypeScript. */
function workerEntry(): { entry: string; tsx?: string } {
  const here = fileURLToPath(import.meta.url);
  let file = path.join(path.dirname(here), here.endsWith('.ts') ? 'write-worker.ts' : 'write-worker.js');
  if (!fs.existsSync(file)) {
    // Bundled into one file (an app or test bundle): the package's own copy of the entry.
    const root = packageRoot(here);
    const found = [path.join(root, 'lib/checkpoint/write-worker.ts'), path.join(root, 'dist/checkpoint/write-worker.js')].find((f) => fs.existsSync(f));
    if (!found) throw new Error(`the checkpoint writer's entry (write-worker.js) is not in ${root}`);
    file = found;
  }
  if (!file.endsWith('.ts')) return { entry: pathToFileURL(file).href };
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  return { entry: pathToFileURL(file).href, tsx: pathToFileURL(path.join(path.dirname(pkg), 'dist/esm/api/index.mjs')).href };
}

class BackgroundWriter {
  private worker: Worker | null = null;
  private replies: MessagePort | null = null;
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private readonly pending = new Map<number, Entry>();
  private nextId = 0;
  /** Why the worker thread is unusable (writes then run on the caller's thread). */
  private broken: Error | null = null;

  /** Starts the worker thread now (it takes a moment), so that the first write does not wait for it. */
  prepare(): void {
    this.start();
  }

  /** Hands a snapshot over; `settled` runs on this thread once it is written or has failed. */
  submit(job: Omit<WriteJob, 'id'>, step: number, settled: (write: PendingWrite) => void): PendingWrite {
    const id = this.nextId++;
    let resolve!: (path: string) => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<string>((res, rej) => { resolve = res; reject = rej; });
    promise.catch(() => {});
    const write: PendingWrite = { id, step, state: 'writing', promise };
    const entry: Entry = { write, root: job.folder.root, temp: job.folder.temp, settled, resolve, reject };
    const full: WriteJob = { ...job, id };
    this.pending.set(id, entry);
    const worker = this.start();
    if (worker) {
      try {
        worker.postMessage(full, transferables(full.files));
        // A write in flight keeps the process alive (as a pending fs write would); an idle writer does not.
        this.replies?.ref();
        return write;
      } catch {
        // not sendable (a clone error comes before anything moved): written here instead
      }
    }
    let reply: WriteReply;
    try {
      reply = { id, ok: true, path: runWriteJob(full) };
    } catch (err) {
      reply = { id, ok: false, failure: describeFailure(err) };
    }
    this.settle(reply);
    return write;
  }

  /** Takes in every answer that has arrived, without waiting. */
  poll(): void {
    if (!this.replies) return;
    for (let m = receiveMessageOnPort(this.replies); m; m = receiveMessageOnPort(this.replies)) this.settle(m.message as WriteReply);
  }

  /** Blocks this thread until `write` is settled (the worker writes meanwhile). */
  wait(write: PendingWrite): void {
    while (write.state === 'writing') {
      const seen = Atomics.load(this.done, 0);
      this.poll();
      if (write.state !== 'writing') break;
      Atomics.wait(this.done, 0, seen, 1000);
    }
  }

  private settle(reply: WriteReply): void {
    if (reply.id === -1) {
      // The thread could not start: its writes failed; later ones run on the caller's thread.
      this.broken = failureError(reply.ok ? { name: 'Error', message: 'unknown' } : reply.failure, '');
      void this.worker?.terminate();
      this.worker = null;
      for (const e of [...this.pending.values()]) {
        fs.rmSync(e.temp, { recursive: true, force: true });
        this.settle({ id: e.write.id, ok: false, failure: describeFailure(this.broken) });
      }
      return;
    }
    const entry = this.pending.get(reply.id);
    if (!entry) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.replies?.unref();
    const w = entry.write;
    if (reply.ok) {
      w.state = 'done';
      w.path = reply.path;
      entry.resolve(reply.path);
    } else {
      w.state = 'failed';
      w.error = failureError(reply.failure, entry.root);
      entry.reject(w.error);
    }
    entry.settled(w);
  }

  private start(): Worker | null {
    if (this.worker || this.broken) return this.worker;
    try {
      const { entry, tsx } = workerEntry();
      const code = tsx ? workerCode(entry) : undefined;
      const make = (execArgv?: string[]) => {
        const channel = new MessageChannel();
        const worker = new Worker(BOOTSTRAP, { eval: true, name: 'torchtrain checkpoint writer', workerData: { entry, tsx, code, replies: channel.port2, done: this.done },
          transferList: [channel.port2], ...(execArgv ? { execArgv } : {}) });
        return { worker, port: channel.port1 };
      };
      const filtered = workerExecArgv(process.execArgv);
      let started: ReturnType<typeof make>;
      try {
        started = make(filtered.length === process.execArgv.length ? undefined : filtered);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
        started = make([]);
      }
      const { worker, port } = started;
      worker.unref();
      worker.on('error', (err) => this.settle({ id: -1, ok: false, failure: describeFailure(err) }));
      worker.on('exit', () => { if (this.worker === worker) this.worker = null; });
      port.on('message', (reply: WriteReply) => this.settle(reply));
      port.unref();
      this.worker = worker;
      this.replies = port;
    } catch (err) {
      this.broken = err as Error;
    }
    return this.worker;
  }
}

/** The process's background writer (one thread for every CheckpointManager: writes go in order). */
export const backgroundWriter = new BackgroundWriter();
