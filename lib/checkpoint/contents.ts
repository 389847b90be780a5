// What a checkpoint folder holds, each in a format an independent client reads:
//   model.safetensors   the model's state dict under PyTorch's names (safetensors, torch)
//   optimizer.pt        optimizer.state_dict() as PyTorch lays it out (torch.load, weights_only)
//   scheduler.json      the schedule's state dict (when there is a schedule)
//   scaler.json         the GradScaler's state dict (when one is enabled)
//   rng_state.pt        libtorch's CPU generator (torch.get_rng_state()'s bytes) and each CUDA device's
//   rng_state_<r>.pt    data-parallel runs: rank r's generators (r >= 1; rank 0's are rng_state.pt)
//   trainer_state.json  TrainerState, callback and extension states, the run's config and TaskSpec,
//                       the logs at save time, torchtrain's and libtorch's versions
// and manifest.json, written last (folder.ts). snapshotContents copies them out at a step boundary;
// write-job.ts writes them (on the background writer's thread, background-writer.ts).
import fs from 'node:fs';
import path from 'node:path';
import { type GradScaler } from '../amp/grad-scaler.js';
import { cuda } from '../core/device.js';
import { getRngState, info, setRngState } from '../core/runtime.js';
import { tensor } from '../core/creation.js';
import { Tensor } from '../core/tensor.js';
import { loadObject } from '../io/torch-load.js';
import { pickleValue } from '../io/torch-save.js';
import { archiveName } from '../io/torch-archive.js';
import { tuple } from '../io/pickle-reader.js';
import { loadSafetensors, planSafetensors } from '../io/safetensors.js';
import { tensorPieces } from '../io/tensor-data.js';
import { type FileBytes } from './file-bytes.js';
import { type Module } from '../nn/module.js';
import { describeModel, type ModelDescription } from '../models/zoo.js';
import { type Optimizer, type OptimizerStateDict } from '../optim/optimizer.js';
import { type LRScheduler } from '../optim/schedulers/base.js';

export const FILES = {
  model: 'model.safetensors',
  optimizer: 'optimizer.pt',
  scheduler: 'scheduler.json',
  scaler: 'scaler.json',
  rng: 'rng_state.pt',
  trainer: 'trainer_state.json',
} as const;

/** The run's own state, as the Trainer gives it (kept structural: lib/checkpoint sits beside lib/engine). */
export interface TrainerSnapshot {
  state: { step: number; epoch: number };
  /** Callback and extension states by key (Trainer.stateDict()). */
  callbacks: Record<string, Record<string, unknown>>;
  config: unknown;
  task: unknown;
  logs: Record<string, number>;
  /**
   * The training data's order: its sampler's kind and seed and its length in batches (the
   * position is TrainerState's epoch and batchInEpoch), so a resume can tell when they differ.
   */
  data?: { sampler: string | null; seed: number | null; batches: number | null };
  /** The number of data-parallel ranks that trained (absent: 1). */
  worldSize?: number;
  /**
   * The model as { zoo, config } (a zoo model; null for any other module), so an export bundle
   * can rebuild it from the checkpoint alone. Filled in from the model at save time; absent in
   * checkpoints written before it was recorded.
   */
  model?: ModelDescription | null;
}

export interface TrainingParts {
  model: Module;
  optimizer: Optimizer;
  scheduler: LRScheduler | null;
  scaler: GradScaler | null;
  /** Data-parallel runs: every rank's generator states in rank order (rank 0's are also rng_state.pt). */
  rankRng?: Record<string, Uint8Array>[];
}

const json = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n';

/**
 * Every part of a checkpoint as bytes, copied now (at a step boundary: the next step may change
 * the tensors): each tensor's elements are copied to the CPU into buffers of their own, the
 * pickles and JSON are made. What a writer then puts on disk (writeFileBytes, on this thread or
 * a worker) depends on nothing else, so the files hold this step's state whenever they are written.
 */
export function snapshotContents(parts: TrainingParts, trainer: TrainerSnapshot): FileBytes[] {
  const files: FileBytes[] = [];
  const text = (name: string, value: unknown) => files.push({ name, kind: 'raw', chunks: [Buffer.from(json(value), 'utf8')] });
  const torchFile = (name: string, value: object) => {
    const { pickle, tensors } = pickleValue(value);
    files.push({ name, kind: 'torch', archive: archiveName(name), pickle, storages: tensors.map((t) => [...tensorPieces(t)]) });
  };
  const { head, order } = planSafetensors(parts.model.stateDict(), { format: 'pt' });
  files.push({ name: FILES.model, kind: 'raw', chunks: [head, ...order.flatMap(([, t]) => [...tensorPieces(t)])] });
  // PyTorch keeps betas as a tuple; a list would load too, but the file should be what torch.save writes.
  const sd = parts.optimizer.stateDict();
  torchFile(FILES.optimizer, { ...sd, param_groups: sd.param_groups.map((g) => (Array.isArray(g.betas) ? { ...g, betas: tuple(g.betas) } : g)) });
  if (parts.scheduler) text(FILES.scheduler, parts.scheduler.stateDict());
  if (parts.scaler?.isEnabled()) text(FILES.scaler, parts.scaler.stateDict());
  // The CPU generator and every visible CUDA device's (torch.get_rng_state(), torch.cuda.get_rng_state(i)).
  const rng: Record<string, Tensor> = { cpu: tensor(getRngState(), { dtype: 'uint8' }) };
  for (let i = 0; i < cuda.deviceCount(); i++) rng[`cuda:${i}`] = tensor(getRngState(`cuda:${i}`), { dtype: 'uint8' });
  try {
    torchFile(FILES.rng, rng);
  } finally {
    for (const t of Object.values(rng)) t.dispose();
  }
  (parts.rankRng ?? []).forEach((states, r) => {
    if (r === 0) return;
    const tensors = Object.fromEntries(Object.entries(states).map(([device, bytes]) => [device, tensor(bytes, { dtype: 'uint8' })]));
    try {
      torchFile(rankRngFile(r), tensors);
    } finally {
      for (const t of Object.values(tensors)) t.dispose();
    }
  });
  const versions = { torchtrain: info().torchtrainVersion, libtorch: info().libtorchVersion };
  text(FILES.trainer, { ...trainer, model: trainer.model ?? describeModel(parts.model), versions });
  return files;
}

/** A checkpoint read back (tensors on the CPU; the caller moves them). */
export interface CheckpointContents {
  model: Record<string, Tensor>;
  optimizer: OptimizerStateDict;
  scheduler: Record<string, unknown> | null;
  scaler: Record<string, number> | null;
  /** Generator states by device ('cpu', 'cuda:0', ...). */
  rng: Record<string, Uint8Array>;
  /** Data-parallel checkpoints: rank r's generator states by device, for r >= 1. */
  rankRng: Record<number, Record<string, Uint8Array>>;
  trainer: TrainerSnapshot & { versions?: { torchtrain: string; libtorch: string } };
}

function readJson<T>(dir: string, name: string, required: boolean): T | null {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) {
    if (required) throw new Error(`checkpoint ${dir}: ${name} is missing`);
    return null;
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** rank r's generator file in a data-parallel checkpoint (r >= 1). */
export const rankRngFile = (rank: number) => `rng_state_${rank}.pt`;

/** Generator states by device from an rng_state file ({} when the file is absent). */
function readRngFile(file: string): Record<string, Uint8Array> {
  const states = fs.existsSync(file) ? (loadObject(file) as Record<string, unknown>) : {};
  const rng: Record<string, Uint8Array> = {};
  for (const [device, t] of Object.entries(states)) {
    if (t instanceof Tensor) {
      rng[device] = new Uint8Array(t.data() as Uint8Array);
      t.dispose();
    }
  }
  return rng;
}

/** Reads a (verified) checkpoint folder. */
export function readContents(dir: string): CheckpointContents {
  const rng = readRngFile(path.join(dir, FILES.rng));
  const rankRng: Record<number, Record<string, Uint8Array>> = {};
  for (const name of fs.readdirSync(dir)) {
    const m = /^rng_state_(\d+)\.pt$/.exec(name);
    if (m) rankRng[Number(m[1])] = readRngFile(path.join(dir, name));
  }
  return {
    model: loadSafetensors(path.join(dir, FILES.model)),
    optimizer: loadObject(path.join(dir, FILES.optimizer)) as unknown as OptimizerStateDict,
    scheduler: readJson(dir, FILES.scheduler, false),
    scaler: readJson(dir, FILES.scaler, false),
    rng,
    rankRng,
    trainer: readJson<CheckpointContents['trainer']>(dir, FILES.trainer, true)!,
  };
}

/**
 * Restores the generators read from a checkpoint: the CPU's, and each CUDA device's that this
 * machine has (a checkpoint from a machine with more GPUs restores the ones present).
 */
export function restoreRng(rng: Record<string, Uint8Array>): void {
  for (const [device, state] of Object.entries(rng)) {
    if (device === 'cpu') setRngState(state);
    else if (device.startsWith('cuda:') && Number(device.slice(5)) < cuda.deviceCount()) setRngState(state, device);
  }
}
