// The code a DataLoader worker thread runs. It rebuilds the dataset from its source (module +
// export + args), then answers requests one at a time, in the order they came: read the samples
// of a batch, drop empty ones, and return either the default collate's plain batch (typed arrays,
// transferred, not copied) or the samples themselves for a collate on the main thread. It never
// loads libtorch: tensors cannot cross threads, so the main thread makes them.
import { parentPort, workerData } from 'node:worker_threads';
import { assembleBatch, fetchSamples, serializeError, type AssembledBatch } from './batch-assembly.js';
import type { CollateOptions } from './collate-rules.js';
import { transferList } from './collate-plain.js';
import { datasetFromSource, isMapDataset, type Dataset, type DatasetSource, type StreamShard } from './dataset.js';

export type WorkerRequest =
  | { type: 'batch'; id: number; indices: number[]; collate: CollateOptions | null; filterEmpty: boolean }
  | { type: 'stream'; id: number; stream: number; shard: StreamShard }
  | { type: 'next'; id: number; stream: number; collate: CollateOptions | null; filterEmpty: boolean }
  | { type: 'endStream'; id: number; stream: number }
  | { type: 'close'; id: -1 };

export type WorkerReply =
  | { type: 'ready'; id: -1 }
  | { type: 'fatal'; id: -1; error: ReturnType<typeof serializeError> }
  | { type: 'result'; id: number; batch?: AssembledBatch; done?: boolean }
  | { type: 'error'; id: number; error: ReturnType<typeof serializeError> }
  | { type: 'closed'; id: -1 };

const port = parentPort;
if (!port) throw new Error('worker-entry runs inside a DataLoader worker thread only');

// Per stream: its iterator, its shard, and how many of its blocks were read (for stream positions).
const streams = new Map<number, { iterator: AsyncIterator<unknown>; shard: StreamShard; blocks: number }>();

async function handle(dataset: Dataset, msg: WorkerRequest): Promise<void> {
  switch (msg.type) {
    case 'batch': {
      if (!isMapDataset(dataset)) throw new TypeError('the worker dataset is not map-style (length + get)');
      const samples = await fetchSamples(dataset, msg.indices);
      reply({ type: 'result', id: msg.id, batch: assembleBatch(samples, msg.indices, msg.collate, msg.filterEmpty) });
      return;
    }
    case 'stream': {
      const it = dataset as AsyncIterable<unknown> & { shard?(s: StreamShard): AsyncIterable<unknown> };
      const source = typeof it.shard === 'function' ? it.shard(msg.shard) : everyNth(it, msg.shard);
      streams.set(msg.stream, { iterator: source[Symbol.asyncIterator](), shard: msg.shard, blocks: 0 });
      reply({ type: 'result', id: msg.id });
      return;
    }
    case 'next': {
      const stream = streams.get(msg.stream);
      if (!stream) throw new Error(`no stream ${msg.stream} in this worker`);
      const samples: unknown[] = [];
      const { shard, numShards, blockSize } = stream.shard;
      while (samples.length < blockSize) {
        const step = await stream.iterator.next();
        if (step.done) break;
        samples.push(step.value);
      }
      if (samples.length === 0) return reply({ type: 'result', id: msg.id, done: true });
      // Positions in the whole stream: this is block (blocks * numShards + shard) of it.
      const first = (stream.blocks * numShards + shard) * blockSize;
      stream.blocks++;
      const indices = samples.map((_, i) => first + i);
      reply({ type: 'result', id: msg.id, batch: assembleBatch(samples, indices, msg.collate, msg.filterEmpty) });
      return;
    }
    case 'close':
      return; // answered by the message handler itself, see main()
    case 'endStream': {
      const stream = streams.get(msg.stream);
      streams.delete(msg.stream);
      await stream?.iterator.return?.();
      reply({ type: 'result', id: msg.id });
      return;
    }
  }
}

/**
 * Before the thread is terminated: ends the streams' iterators (a JSONL stream closes its file)
 * and closes the dataset and the datasets under its transforms (an IndexedJsonlDataset's open
 * file). File descriptors are the process's: a terminated thread would leave them open.
 * Each step is bounded, since a dataset that hangs must not hold the pool's close.
 */
async function release(dataset: Dataset): Promise<void> {
  const bounded = (p: unknown) => Promise.race([Promise.resolve(p).catch(() => {}), new Promise((r) => setTimeout(r, 250).unref())]);
  await Promise.all([...streams.values()].map((s) => bounded(s.iterator.return?.())));
  streams.clear();
  for (let d: unknown = dataset; d && typeof d === 'object'; d = (d as { base?: unknown }).base) {
    const closable = d as { close?: () => unknown; [Symbol.asyncDispose]?: () => unknown; [Symbol.dispose]?: () => unknown };
    try {
      if (typeof closable.close === 'function') await bounded(closable.close());
      else if (typeof closable[Symbol.asyncDispose] === 'function') await bounded(closable[Symbol.asyncDispose]!());
      else if (typeof closable[Symbol.dispose] === 'function') closable[Symbol.dispose]!();
    } catch {
      // the thread ends anyway
    }
  }
}

/** A stream's items in this worker's blocks, for datasets without shard(): read all, keep ours. */
async function* everyNth(source: AsyncIterable<unknown>, { shard, numShards, blockSize }: StreamShard): AsyncGenerator<unknown> {
  let i = 0;
  for await (const item of source) {
    if (Math.floor(i / blockSize) % numShards === shard) yield item;
    i++;
  }
}

function reply(message: WorkerReply): void {
  const transfer = message.type === 'result' && message.batch?.plain ? transferList(message.batch.plain.value) : [];
  port!.postMessage(message, transfer);
}

async function main(): Promise<void> {
  let dataset: Dataset;
  try {
    dataset = await datasetFromSource((workerData as { source: DatasetSource }).source);
  } catch (e) {
    reply({ type: 'fatal', id: -1, error: serializeError(e) });
    return;
  }
  // One request at a time, in arrival order: batch k's result never overtakes batch k-1's.
  // 'close' jumps the queue: the request before it may never settle (a get() that hangs).
  let chain = Promise.resolve();
  port!.on('message', (msg: WorkerRequest) => {
    if (msg.type === 'close') {
      void release(dataset).finally(() => reply({ type: 'closed', id: -1 }));
      return;
    }
    chain = chain.then(() => handle(dataset, msg)).catch((e) => reply({ type: 'error', id: msg.id, error: serializeError(e) }));
  });
  reply({ type: 'ready', id: -1 });
}

void main();
