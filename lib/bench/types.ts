// The shapes of the benchmark harness: a workload is a set of sides (torchtrain, PyTorch, and
// where installed nanoGPT or Lightning) that each run one measured round on request; the
// harness interleaves their rounds and turns them into a report (JSON, table, HTML).
import type { PythonWorker } from './python-side.js';

/** One measured round of one side: `value` in the workload's unit (lower is better). */
export interface RoundSample {
  value: number;
  /** Extra figures of the round (e.g. a loss, tokens per step), reported per side as medians. */
  extra?: Record<string, number>;
}

export interface Side {
  /** 'torchtrain', 'pytorch', 'nanogpt', 'lightning'. */
  name: string;
  /** What the side runs, for the table (e.g. 'PyTorch Python, same libtorch'). */
  label: string;
  round(): Promise<RoundSample>;
  close?(): Promise<void> | void;
}

export interface BenchContext {
  threads: number;
  /** 'cpu' or 'cuda'. */
  device: string;
  /** 'fp32' on CPU, 'bf16-mixed' on CUDA. */
  precision: 'fp32' | 'bf16-mixed';
  /** Steps timed in one round (each side, the round's median counts); 0: the workload's own default. */
  steps: number;
  /** A scratch folder for weights, inputs and checkpoints. */
  workDir: string;
  /** The PyTorch side, or null when no reference Python is available. */
  python: PythonWorker | null;
  /** The package root (bench/ and its vendored nanoGPT live here in a clone of the repository). */
  packageRoot: string;
  /** --config: a run config for the 'config' workload. */
  configFile?: string;
  log(message: string): void;
}

export interface Workload {
  name: string;
  description: string;
  /** 'ms' (per step, lower is better) or 'MB' (peak resident memory). */
  unit: 'ms' | 'MB';
  /** What one `value` is, for the table header (e.g. 'ms per training step'). */
  measure: string;
  /** In the default set (`torchtrain bench` without names). */
  byDefault: boolean;
  /** Null when it can run here, else why not (it is then reported as skipped). */
  unavailable(ctx: BenchContext): string | null;
  /** Prepares the sides (writes weights and inputs, sets up the PyTorch side). */
  sides(ctx: BenchContext): Promise<Side[]>;
  /** For transformer workloads: tokens and model FLOPs of one step (tokens/s, TFLOP/s, MFU on CUDA). */
  perStep?: { tokens: number; flops: number };
}

export interface SideSummary {
  name: string;
  label: string;
  /** Every round's value, in order. */
  rounds: number[];
  median: number;
  min: number;
  max: number;
  extra: Record<string, number>;
}

export interface RatioSummary {
  /** 'torchtrain / pytorch': torchtrain's value over the other side's, per round (interleaved). */
  of: string;
  to: string;
  median: number;
  min: number;
  max: number;
}

export interface Throughput {
  tokensPerSecond: number;
  achievedTFlops: number;
  /** Model FLOP utilisation against the device's peak; null for an unknown device (see note). */
  mfu: number | null;
  peakTFlops: number | null;
  note?: string;
}

export interface WorkloadResult {
  name: string;
  description: string;
  unit: Workload['unit'];
  measure: string;
  /** Why it did not run here (no PyTorch side, no nanoGPT, ...). */
  skipped?: string;
  /** The error that stopped it (e.g. the sides' losses differ). */
  failed?: string;
  sides: SideSummary[];
  ratios: RatioSummary[];
  /** Per side name, on CUDA for transformer workloads. */
  throughput?: Record<string, Throughput>;
}

export interface LoadAverage { before: number[]; after: number[] }

export interface BenchReport {
  version: 1;
  startedAt: string;
  torchtrainVersion: string;
  libtorchVersion: string;
  pytorchVersion: string | null;
  device: string;
  deviceName: string | null;
  precision: string;
  threads: { torchtrain: number; pytorch: number | null; interop: number };
  cpus: number;
  rounds: number;
  loadAverage: LoadAverage;
  workloads: WorkloadResult[];
}
