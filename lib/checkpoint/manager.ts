// CheckpointManager: when to save (every N steps, N epochs, T minutes, at the end of fit, on a
// signal), what to keep (the last k and the best k by a monitored metric), and which checkpoint
// a resume starts from (the newest valid one, saying which it skipped and why). A save copies
// the state at the step boundary and leaves the writing to the background writer
// (background-writer.ts); one write at a time, rotation after it.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../core/validation.js';
import { dispose } from '../core/scope.js';
import { loadSafetensors } from '../io/safetensors.js';
import { startProgress } from '../progress/index.js';
import { temporaryName } from '../io/file-io.js';
import { backgroundWriter, type PendingWrite } from './background-writer.js';
import { type CheckpointContents, FILES, readContents, snapshotContents, type TrainerSnapshot, type TrainingParts } from './contents.js';
import { byteEstimate } from './file-bytes.js';
import { beginCheckpointFolder, type CheckpointInfo, list, readLatest } from './folder.js';
import { runWriteJob } from './write-job.js';

export const checkpointOptionsSchema = z.object({
  /** The folder holding checkpoint-<step>/ folders and the `latest` pointer. */
  dir: z.string().min(1),
  everyNSteps: z.number().int().positive().optional(),
  everyNEpochs: z.number().int().positive().optional(),
  everyNMinutes: z.number().positive().optional(),
  /** Keep the newest k checkpoints (default: all). */
  keepLast: z.number().int().positive().optional(),
  /** Also keep the best k by `monitor` (default 0). */
  keepBest: z.number().int().min(0).default(0),
  monitor: z.string().min(1).default('val/loss'),
  mode: z.enum(['min', 'max']).default('min'),
  /** On SIGTERM/SIGINT: finish the current step, save, then exit with 128 + the signal's number. */
  saveOnSignal: z.boolean().default(true),
  /** Save when fit() ends (default true). */
  saveAtEnd: z.boolean().default(true),
  /** A failed save: 'error' stops the run (default), 'warn' warns and trains on. */
  onSaveError: z.enum(['error', 'warn']).default('error'),
  /**
   * Write checkpoints on a worker thread while training goes on (default true): the step only
   * waits for its tensors to be copied; the next save waits for the previous write. false: write
   * on the training thread, the step waits for the whole write.
   */
  writeInBackground: z.boolean().default(true),
}).strict();

export type CheckpointOptionsInput = z.input<typeof checkpointOptionsSchema>;
export type CheckpointOptions = z.output<typeof checkpointOptionsSchema>;

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export class CheckpointManager {
  readonly options: CheckpointOptions;
  private lastSaveTime = performance.now();
  private lastSavedStep = -1;
  /** The checkpoint this run resumed from: never rotated away while the run may fall back on it. */
  private resumedFrom: string | null = null;
  /** The background write in progress, if any (one at a time). */
  private inFlight: PendingWrite | null = null;
  /** Background writes (or their rotation) that failed and are not reported yet. */
  private failures: { step: number; error: Error }[] = [];

  constructor(options: CheckpointOptionsInput) {
    this.options = parseOrThrow(checkpointOptionsSchema, options, (issues) => new CheckpointError(`invalid checkpoint options:\n  ${issues.map((i) => i.text).join('\n  ')}`),
      { root: '(checkpoint)', known: { owner: 'the checkpoint options', keys: Object.keys(checkpointOptionsSchema.shape) } });
    if (this.options.writeInBackground) backgroundWriter.prepare();
  }

  /**
   * Whether a save is due after an optimizer step (steps and minutes) or at an epoch's end. It
   * first takes in finished background writes, so a failed one is reported at the step boundary
   * after it failed (thrown with onSaveError 'error', a warning with 'warn').
   */
  due(event: 'step' | 'epoch', step: number, epochsDone: number): boolean {
    this.settle(false);
    const o = this.options;
    if (step === this.lastSavedStep) return false;
    if (event === 'step') {
      if (o.everyNSteps && step % o.everyNSteps === 0) return true;
      return o.everyNMinutes !== undefined && performance.now() - this.lastSaveTime >= o.everyNMinutes * 60_000;
    }
    return o.everyNEpochs !== undefined && epochsDone % o.everyNEpochs === 0;
  }

  /**
   * Saves checkpoint-<step>/: waits for the previous write (reporting its failure), copies every
   * tensor and the run's state now, makes the temporary folder (a missing, read-only or full
   * disk fails here, at this step) and hands the rest (files, fsync, manifest, rename, `latest`)
   * to the background writer; rotation follows the write. Returns at once (with
   * writeInBackground false, after the write) a promise of the folder, settled when it is
   * written; a failed write is reported by the next due(), save() or flush().
   */
  save(parts: TrainingParts, trainer: TrainerSnapshot): Promise<string> {
    this.settle(true);
    const { step, epoch } = trainer.state;
    const metrics = Object.fromEntries(Object.entries(trainer.logs).filter(([, v]) => Number.isFinite(v)));
    // One attempt per step: a save that failed (onSaveError 'warn') is not tried again at the same
    // step by the epoch-end or end-of-fit save (a second full write, a second warning).
    this.lastSavedStep = step;
    this.lastSaveTime = performance.now();
    // Progress lines only for long work (lib/progress is quiet under a second): the copy stalls
    // training; the background write is timed from here to when this thread learns it ended.
    const copy = startProgress(`checkpoint-${step}: copying the state at the step boundary`, { unit: 'files' });
    const files = snapshotContents(parts, trainer);
    const bytes = files.reduce((n, f) => n + byteEstimate(f) + 4096, 0);
    const folder = beginCheckpointFolder(this.options.dir, step, bytes);
    copy.update(files.length);
    copy.finish(megabytes(bytes));
    const job = { folder, head: { step, epoch, metrics }, files };
    const writing = startProgress(`checkpoint-${step}: writing`, { total: files.length, unit: 'files' });
    if (!this.options.writeInBackground) {
      const final = runWriteJob({ ...job, id: -1 });
      writing.update(files.length);
      writing.finish(megabytes(bytes));
      this.rotate();
      return Promise.resolve(final);
    }
    const write = backgroundWriter.submit(job, step, (w) => {
      if (w.state === 'done') {
        writing.update(files.length);
        writing.finish(megabytes(bytes));
      } else writing.fail(w.error?.message);
      this.finished(w);
    });
    if (write.state === 'writing') this.inFlight = write;
    else this.settle(false); // written on this thread (no worker thread): report now
    return write.promise;
  }

  /**
   * Waits for the background write in progress and reports failures not reported yet (thrown
   * with onSaveError 'error', unless quiet; warnings otherwise). fit() calls it before it
   * resolves, so its last checkpoint is on disk before the process may exit.
   */
  flush(options: { quiet?: boolean } = {}): void {
    this.settle(true, options.quiet);
  }

  /** A failed save: thrown (onSaveError 'error') or a warning ('warn', or quiet). */
  report(step: number, err: unknown, quiet = false): void {
    if (this.options.onSaveError === 'error' && !quiet) throw err;
    process.emitWarning(`the checkpoint at step ${step} was not saved: ${(err as Error).message}${quiet ? '' : "; training goes on (onSaveError: 'warn')"}`, 'TrainerWarning');
  }

  private settle(wait: boolean, quiet = false): void {
    if (this.inFlight) {
      if (wait) backgroundWriter.wait(this.inFlight);
      else backgroundWriter.poll();
    }
    for (const f of this.failures.splice(0)) this.report(f.step, f.error, quiet);
  }

  /** A background write ended (on this thread, between steps or while waiting): rotate, or keep its failure to report. */
  private finished(write: PendingWrite): void {
    if (this.inFlight === write) this.inFlight = null;
    if (write.state === 'failed') {
      this.failures.push({ step: write.step, error: write.error! });
      return;
    }
    try {
      this.rotate();
    } catch (err) {
      this.failures.push({ step: write.step, error: err as Error });
    }
  }

  /** Deletes what keepLast/keepBest do not keep; never `latest`'s target or the resumed-from one. */
  rotate(): string[] {
    const o = this.options;
    if (o.keepLast === undefined) return [];
    const all = list(o.dir, { hashes: false }).filter((c) => c.valid);
    const keep = new Set(all.slice(-o.keepLast).map((c) => c.path));
    if (o.keepBest > 0) {
      const scored = all.filter((c) => Number.isFinite(c.metrics[o.monitor]));
      scored.sort((a, b) => (o.mode === 'min' ? a.metrics[o.monitor] - b.metrics[o.monitor] : b.metrics[o.monitor] - a.metrics[o.monitor]));
      for (const c of scored.slice(0, o.keepBest)) keep.add(c.path);
    }
    const latest = readLatest(o.dir);
    if (latest) keep.add(latest);
    if (this.resumedFrom) keep.add(this.resumedFrom);
    const removed: string[] = [];
    for (const c of all) {
      if (keep.has(c.path)) continue;
      // Renamed out of the way first: a kill during the removal leaves a temporary folder (the
      // next save removes it), never a half-deleted folder under a checkpoint's name.
      const doomed = path.join(o.dir, temporaryName(c.path));
      fs.renameSync(c.path, doomed);
      fs.rmSync(doomed, { recursive: true, force: true });
      removed.push(c.path);
    }
    return removed;
  }

  /**
   * Data-parallel ranks other than 0 write no checkpoint but keep the same schedule: they mark
   * the steps rank 0 saved, so that due() and savedAt() answer on every rank as on rank 0.
   */
  markSaved(step: number): void {
    this.lastSavedStep = step;
    this.lastSaveTime = performance.now();
  }

  /** Whether the checkpoint of this step was written (or its write tried and failed) by this manager already. */
  savedAt(step: number): boolean {
    return this.lastSavedStep === step;
  }

  /** Marks the checkpoint a run resumed from, so rotation keeps it. */
  markResumedFrom(folder: string): void {
    this.resumedFrom = path.resolve(folder);
  }
}

/**
 * The checkpoint to resume from: a checkpoint folder (verified), or 'latest' under `dir`: the
 * newest valid one (`latest`'s target when valid, else the newest valid folder), with the ones
 * skipped and why. null when 'latest' finds none (a fresh start).
 */
export function findResumePoint(spec: string, dir: string | undefined): { folder: string; skipped: CheckpointInfo[] } | null {
  if (spec !== 'latest') {
    const folder = path.resolve(spec);
    const parent = path.dirname(folder);
    const info = list(parent).find((c) => c.path === folder);
    if (!info) throw new CheckpointError(`resumeFrom: ${spec} is not a checkpoint folder (expected .../checkpoint-<step>/ with a manifest.json); list them with checkpoint.list(dir)`);
    if (!info.valid) throw new CheckpointError(`resumeFrom: ${spec} is not a valid checkpoint: ${info.problem}; resume from another (checkpoint.list(dir)) or from 'latest'`);
    return { folder, skipped: [] };
  }
  if (!dir) throw new CheckpointError("resumeFrom: 'latest' needs the Trainer's checkpoint option (checkpoint: { dir }) to know where to look");
  const all = list(dir);
  const valid = all.filter((c) => c.valid);
  if (valid.length === 0) return null;
  const newest = valid[valid.length - 1];
  const skipped = all.filter((c) => !c.valid && c.step > newest.step);
  return { folder: newest.path, skipped };
}

/** Reads a verified checkpoint. */
export function loadCheckpoint(folder: string): CheckpointContents {
  return readContents(folder);
}

/** Copies a checkpoint's weights into a model (for inference or fine-tuning): strict key and shape checks. */
export function loadWeights(folder: string, model: TrainingParts['model'], options: { strict?: boolean } = {}): void {
  const found = findResumePoint(folder, undefined)!;
  const weights = loadSafetensors(path.join(found.folder, FILES.model));
  try {
    model.loadStateDict(weights, options);
  } finally {
    dispose(weights);
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
