// The benchmark harness: runs named workloads side by side (torchtrain, PyTorch on the same
// libtorch, and nanoGPT or Lightning where installed) in interleaved rounds, A B A B ..., so
// that a machine's drift lands on every side alike, and reports medians with min-max ranges,
// round-by-round ratios, thread counts and the load average before and after.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch } from '../core/torch.js';
import { throughput } from './flops.js';
import { PythonWorker, referencePython } from './python-side.js';
import { ratios, summarise } from './stats.js';
import type { BenchContext, BenchReport, RoundSample, Workload, WorkloadResult } from './types.js';
import { resolveWorkloads } from './workloads.js';

/** The package root: two folders up from lib/bench/ (repository) and from dist/bench/ (installed). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface BenchOptions {
  /** Workload names; empty: the default set. */
  workloads?: string[];
  /** Interleaved rounds per workload (default 5). */
  rounds?: number;
  /** Intra-op threads on every side (default: torchtrain's current count). */
  threads?: number;
  /** Steps timed per round (default: each workload's own). */
  steps?: number;
  /** 'auto' (CUDA when available), 'cpu' or 'cuda'. */
  device?: 'auto' | 'cpu' | 'cuda';
  /** A run config for the 'config' workload. */
  config?: string;
  /** Progress lines (default: stderr). */
  log?: (message: string) => void;
}

function cudaAvailable(): boolean {
  try {
    return torch.cuda.isAvailable();
  } catch {
    return false;
  }
}

async function runWorkload(w: Workload, ctx: BenchContext, rounds: number, deviceName: string | null): Promise<WorkloadResult> {
  const base = { name: w.name, description: w.description, unit: w.unit, measure: w.measure, sides: [], ratios: [] };
  const why = w.unavailable(ctx);
  if (why) {
    ctx.log(`${w.name}: skipped (${why})`);
    return { ...base, skipped: why };
  }
  ctx.log(`${w.name}: ${w.description}`);
  let sides;
  try {
    sides = await w.sides(ctx);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.log(`${w.name}: FAILED: ${message}`);
    return { ...base, failed: message };
  }
  const samples: RoundSample[][] = sides.map(() => []);
  try {
    for (let r = 0; r < rounds; r++) {
      for (let s = 0; s < sides.length; s++) samples[s]!.push(await sides[s]!.round());
      ctx.log(`${w.name} round ${r + 1}/${rounds}: ${sides.map((side, s) => `${side.name} ${samples[s]!.at(-1)!.value.toFixed(3)} ${w.unit}`).join(', ')}`);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.log(`${w.name}: FAILED: ${message}`);
    return { ...base, failed: message };
  } finally {
    for (const side of sides) await side.close?.();
  }
  const summaries = sides.map((side, s) => summarise(side.name, side.label, samples[s]!.map((x) => x.value), samples[s]!.map((x) => x.extra ?? {})));
  const result: WorkloadResult = { ...base, sides: summaries, ratios: ratios(summaries) };
  if (ctx.device !== 'cpu' && w.perStep && w.unit === 'ms') {
    result.throughput = Object.fromEntries(summaries.map((s) => [s.name, throughput(s.median, w.perStep!, deviceName)]));
  }
  return result;
}

/** Runs the workloads and returns the report (writing nothing; see writeReports). */
export async function runBenchmarks(options: BenchOptions = {}): Promise<BenchReport> {
  const log = options.log ?? ((m: string) => process.stderr.write(`[bench] ${m}\n`));
  const workloads = resolveWorkloads(options.workloads ?? []);
  const rounds = options.rounds ?? 5;
  if (options.threads !== undefined) torch.setNumThreads(options.threads);
  const threads = torch.getNumThreads();
  const wantCuda = options.device === 'cuda' || (options.device !== 'cpu' && cudaAvailable());
  if (options.device === 'cuda' && !cudaAvailable()) throw new Error('bench --device cuda: no CUDA device is available to libtorch (see `torchtrain info`); use --device cpu');
  const device = wantCuda ? 'cuda' : 'cpu';
  const workDir = mkdtempSync(path.join(tmpdir(), 'torchtrain-bench-'));
  const python = referencePython();
  let worker: PythonWorker | null = null;
  let init: Awaited<ReturnType<typeof PythonWorker.start>>['init'] | null = null;
  if (python) {
    try {
      ({ worker, init } = await PythonWorker.start(python, workDir, threads));
    } catch (err) {
      log(`no PyTorch side: ${python} could not start the worker (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); the comparisons are skipped`);
    }
  } else {
    log('no PyTorch side: no reference Python is known (set TORCHTRAIN_PYTHON to a Python with torch); the comparisons are skipped');
  }
  const info = torch.info();
  const before = loadavg();
  const startedAt = new Date().toISOString();
  log(`${workloads.length} workload(s), ${rounds} round(s), ${threads} thread(s), ${device}; load average ${before.map((v) => v.toFixed(2)).join(' ')}`);
  const ctx: BenchContext = {
    threads, device, precision: device === 'cpu' ? 'fp32' : 'bf16-mixed', steps: options.steps ?? 0, workDir, python: worker,
    packageRoot: PACKAGE_ROOT, configFile: options.config, log,
  };
  const results: WorkloadResult[] = [];
  try {
    for (const w of workloads) results.push(await runWorkload(w, ctx, rounds, init?.deviceName ?? null));
  } finally {
    worker?.close();
    rmSync(workDir, { recursive: true, force: true });
  }
  return {
    version: 1, startedAt, torchtrainVersion: info.torchtrainVersion, libtorchVersion: info.libtorchVersion,
    pytorchVersion: init?.torch ?? null, device, deviceName: init?.deviceName ?? null, precision: ctx.precision,
    threads: { torchtrain: threads, pytorch: init?.threads ?? null, interop: torch.getNumInteropThreads() },
    cpus: availableParallelism(), rounds, loadAverage: { before, after: loadavg() }, workloads: results,
  };
}
