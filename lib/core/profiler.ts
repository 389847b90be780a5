// torch.profiler: records the ATen ops (and autograd's backward functions) that a function runs,
// through libtorch's RecordFunction callbacks, the same ones Python's torch.profiler reads. The
// op list is deterministic where timings are not: counting the copies, fills and transposes of
// one training step is how a layout change is judged on a busy machine.
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { native } from './addon.js';

export interface OpEvent {
  /** The op's name as PyTorch's profiler shows it: 'aten::addmm', 'AddmmBackward0', ... */
  name: string;
  /** 0 for an op called from JavaScript (or started by autograd), 1+ for the ops it calls. */
  depth: number;
  /** False when the op ran on the thread that started the recording (autograd on CUDA uses others). */
  otherThread: boolean;
  /** Microseconds since the recording started, and the op's duration (its nested ops included). */
  startUs: number;
  durationUs: number;
}

export interface OpSummary { name: string; count: number; totalUs: number }

export interface Profile {
  events: OpEvent[];
  /** How often each op ran, most frequent first (all depths, as Python's profiler counts). */
  counts(): Map<string, number>;
  /** Per op name: count and total time, the longest first. */
  summary(): OpSummary[];
  /** Writes a Chrome trace (chrome://tracing, ui.perfetto.dev) of the events to a file. */
  saveChromeTrace(path: string): void;
}

function toProfile(raw: { names: string[]; numbers: Float64Array }): Profile {
  const events: OpEvent[] = raw.names.map((name, k) => ({
    name, depth: raw.numbers[4 * k], otherThread: raw.numbers[4 * k + 1] !== 0, startUs: raw.numbers[4 * k + 2] / 1e3, durationUs: raw.numbers[4 * k + 3] / 1e3,
  }));
  return {
    events,
    counts() {
      const c = new Map<string, number>();
      for (const e of events) c.set(e.name, (c.get(e.name) ?? 0) + 1);
      return new Map([...c].sort((a, b) => b[1] - a[1]));
    },
    summary() {
      const m = new Map<string, OpSummary>();
      for (const e of events) {
        const s = m.get(e.name) ?? { name: e.name, count: 0, totalUs: 0 };
        s.count++;
        s.totalUs += e.durationUs;
        m.set(e.name, s);
      }
      return [...m.values()].sort((a, b) => b.totalUs - a.totalUs);
    },
    saveChromeTrace(path: string) {
      const traceEvents = events.map((e) => ({ name: e.name, ph: 'X', ts: e.startUs, dur: e.durationUs, pid: process.pid, tid: e.otherThread ? 1 : 0, cat: 'op' }));
      writeFileSync(path, JSON.stringify({ traceEvents }));
    },
  };
}

let recording = false;
let stopped: { names: string[]; numbers: Float64Array } = { names: [], numbers: new Float64Array(0) };

/**
 * Runs fn (synchronous) and returns its result with every op it ran. One recording at a time
 * per process; the callbacks cost about a microsecond per op while recording, nothing otherwise.
 */
export function record<T>(fn: () => T): { result: T; profile: Profile } {
  if (typeof fn !== 'function') throw new TypeError(`torch.profiler.record: expected a function to run, got ${typeof fn}`);
  if (recording) throw new Error('torch.profiler.record: a recording is already running (a record() around this one, or TORCHTRAIN_PROFILE); records cannot nest');
  native.profilerStart();
  recording = true;
  let result: T;
  try {
    result = fn();
  } finally {
    recording = false;
    stopped = native.profilerStop();
  }
  const raw = stopped;
  if (result instanceof Promise) throw new TypeError('torch.profiler.record: fn returned a Promise; record a synchronous function (ops an async function runs after its first await are not recorded)');
  return { result, profile: toProfile(raw) };
}

// TORCHTRAIN_PROFILE=<file.json>: records the whole process (meant for short runs: every op is
// kept in memory) and writes a Chrome trace when it exits. The recording is process-wide, so
// the main thread owns it (worker threads' ops land in it too).
const traceFile = process.env.TORCHTRAIN_PROFILE;
if (traceFile && isMainThread) {
  native.profilerStart();
  recording = true;
  process.on('exit', () => {
    recording = false;
    try {
      toProfile(native.profilerStop()).saveChromeTrace(traceFile);
      process.stderr.write(`[torchtrain] TORCHTRAIN_PROFILE: wrote the op trace to ${traceFile}\n`);
    } catch (err) {
      process.stderr.write(`[torchtrain] TORCHTRAIN_PROFILE: could not write ${traceFile}: ${(err as Error).message}\n`);
    }
  });
}

export const profiler = { record };
