// PipelineOrchestrator: a run as phases, each recorded in the session when done, so that a run
// killed anywhere continues where it stopped (`torchtrain resume <run-dir>`).
//
//   prepare-data -> build-model -> check -> train -> evaluate -> export
//
// What a resume redoes and what it skips follows from where each phase's result lives:
//   - prepare-data and build-model make objects in memory (datasets, the model, the Trainer):
//     every attempt makes them again from config.yaml (deterministic: seeded), and records them.
//   - check writes data-profile.json; train writes checkpoints; evaluate writes evaluation.json;
//     export writes export/: a phase recorded as done is skipped.
//   - train, when not done, continues from the newest valid checkpoint in the run's checkpoints/
//     (trainer.fit({ resumeFrom: 'latest' })): the same weights, optimizer, schedule, RNG and data
//     position as if the run had never stopped. When train is done, the later phases load the
//     newest checkpoint's weights instead.
// A phase stopped by SIGINT/SIGTERM (the Trainer saves a checkpoint first) ends the attempt as
// 'interrupted' with exit code 128 + the signal's number; a phase that throws ends it as 'failed'.
import fs from 'node:fs';
import { list as listCheckpoints, loadWeights } from '../checkpoint/index.js';
import { compareProfiles } from '../metrics/drift.js';
import { computeDatasetProfile, type ProfileSource } from '../metrics/profile.js';
import { type DataProfiles } from '../metrics/profile-types.js';
import { type BatchSource } from '../engine/batch-source.js';
import { type Trainer } from '../engine/trainer.js';
import { type Module } from '../nn/module.js';
import { type PhaseName, type Session } from './session.js';
import { type RunPaths } from './run-folder.js';

/** What the data phase makes. `trainData`/`valData` are the datasets (for profiles), when known. */
export interface PreparedData {
  trainData?: unknown;
  valData?: unknown;
  /** Facts for the session record (sizes). */
  summary?: Record<string, unknown>;
}

/** What the model phase makes: the Trainer with its model, val source and checkpoint folder. */
export interface BuiltRun {
  trainer: Trainer;
  model: Module;
  val?: BatchSource;
  /** The model's description for the export bundle ({ zoo, config } or { torchscript }). */
  modelDescription?: unknown;
  summary?: Record<string, unknown>;
}

/** How a run's parts are made: the config layer provides it (run-config.ts). */
export interface RunBuilder {
  prepareData(): Promise<PreparedData>;
  buildModel(data: PreparedData): Promise<BuiltRun>;
  /** Writes the export bundle; undefined when lib/bundle is not available. */
  exportBundle?: (built: BuiltRun, dir: string) => Promise<Record<string, unknown> | void>;
}

export interface PipelineOptions {
  session: Session;
  paths: RunPaths;
  builder: RunBuilder;
  /** The run's checkpoint folder (default: the run folder's checkpoints/). */
  checkpointDir?: string;
  /** Skip the export phase (recorded as skipped, not done). */
  skipExport?: boolean;
  /** Where progress lines go (default: stdout). */
  log?: (line: string) => void;
}

export type PipelineOutcome =
  | { status: 'completed' }
  | { status: 'interrupted'; phase: PhaseName; reason: string };

/** Raised inside the pipeline when a signal stopped training: not an error, an interruption. */
class Interrupted extends Error {}

export class PipelineOrchestrator {
  private readonly log: (line: string) => void;
  private readonly checkpointDir: string;

  constructor(private readonly o: PipelineOptions) {
    this.log = o.log ?? ((line) => console.log(line));
    this.checkpointDir = o.checkpointDir ?? o.paths.checkpoints;
  }

  /** Runs the phases not yet done, in order. Throws the first phase error (session: failed). */
  async run(): Promise<PipelineOutcome> {
    const { session } = this.o;
    const resuming = session.lastCompletedPhase() !== null;
    if (resuming) this.log(`resuming session ${session.id} after phase '${session.lastCompletedPhase()}'`);
    try {
      const data = await this.phase('prepare-data', async () => {
        const d = await this.o.builder.prepareData();
        return { result: d, summary: d.summary };
      }, { redo: true });
      const built = await this.phase('build-model', async () => {
        const b = await this.o.builder.buildModel(data);
        return { result: b, summary: { parameters: b.model.numParameters(), ...b.summary } };
      }, { redo: true });
      await this.phase('check', async () => ({ result: undefined, summary: await this.checkData(data, built.trainer) }));
      await this.phase('train', async () => ({ result: undefined, summary: await this.train(built) }));
      if (session.isDone('train')) this.loadFinalWeights(built);
      await this.phase('evaluate', async () => ({ result: undefined, summary: await this.evaluate(built) }));
      if (this.o.skipExport || !this.o.builder.exportBundle) {
        this.log(`phase export: skipped (${this.o.skipExport ? '--no-export' : 'lib/bundle is not available'})`);
      } else {
        await this.phase('export', async () => ({ result: undefined, summary: { dir: this.o.paths.export, ...await this.o.builder.exportBundle!(built, this.o.paths.export) } }));
      }
      session.finish('completed', { exitCode: 0 });
      return { status: 'completed' };
    } catch (err) {
      if (err instanceof Interrupted) {
        session.finish('interrupted', { error: err.message, exitCode: Number(process.exitCode ?? 1) });
        return { status: 'interrupted', phase: 'train', reason: err.message };
      }
      session.finish('failed', { error: err instanceof Error ? err.message : String(err), exitCode: 1 });
      throw err;
    }
  }

  /** Runs one phase unless done (phases whose result is in memory are redone: `redo`). */
  private async phase<T>(name: PhaseName, body: () => Promise<{ result: T; summary?: Record<string, unknown> }>, options: { redo?: boolean } = {}): Promise<T> {
    const { session } = this.o;
    if (session.isDone(name) && !options.redo) {
      this.log(`phase ${name}: done before (${session.phase(name)!.completedAt}), skipped`);
      return undefined as T;
    }
    const startedAt = new Date().toISOString();
    session.phaseStarted(name);
    this.log(`phase ${name}: started`);
    const { result, summary } = await body();
    session.phaseDone(name, startedAt, summary);
    this.log(`phase ${name}: done${summary && Object.keys(summary).length ? ` ${JSON.stringify(summary)}` : ''}`);
    return result;
  }

  /**
   * Data profiles of train and val and the drift of val against train (lib/metrics) into
   * data-profile.json; flagged features are printed. Sampled as the Trainer's config says
   * (profileData, seed): the train phase hands these profiles to fit() instead of profiling again.
   */
  private async checkData(data: PreparedData, trainer: Trainer): Promise<Record<string, unknown>> {
    if (!data.trainData) return { profiled: false, reason: 'no train dataset to profile' };
    const { task, config } = trainer.core;
    const maxSamples = typeof config.profileData === 'object' ? config.profileData.maxSamples : undefined;
    const progress = { progress: false, name: 'train', seed: config.seed, ...(maxSamples ? { maxSamples } : {}) };
    const train = await computeDatasetProfile(data.trainData as ProfileSource, task, progress);
    const val = data.valData ? await computeDatasetProfile(data.valData as ProfileSource, task, { ...progress, name: 'val', reference: train }) : undefined;
    const drift = val ? compareProfiles(train, val, { names: ['train', 'val'] }) : undefined;
    fs.writeFileSync(this.o.paths.profile, `${JSON.stringify({ train, val, drift }, null, 2)}\n`);
    for (const name of drift?.flagged ?? []) this.log(`phase check: val drifts from train in '${name}' (see ${this.o.paths.profile})`);
    return { profiled: true, trainItems: train.items, ...(val ? { valItems: val.items } : {}), driftFlagged: drift?.flagged.length ?? 0 };
  }

  private async train(built: BuiltRun): Promise<Record<string, unknown>> {
    const resumable = listCheckpoints(this.checkpointDir).some((c) => c.valid);
    if (resumable) this.log(`phase train: continuing from the newest valid checkpoint in ${this.checkpointDir}`);
    const result = await built.trainer.fit({ ...(resumable ? { resumeFrom: 'latest' } : {}), dataProfiles: this.savedProfiles() });
    if (result.stoppedEarly && /^received SIG/.test(result.reason)) throw new Interrupted(`training stopped: ${result.reason} (checkpoint saved at step ${result.steps}); continue with \`torchtrain resume ${this.o.paths.root}\``);
    return { steps: result.steps, epochs: built.trainer.epoch, reason: result.reason, ...lastLogs(built.trainer) };
  }

  /** The check phase's profiles (data-profile.json), undefined when it wrote none or they do not read back. */
  private savedProfiles(): DataProfiles | undefined {
    try {
      const { train, val, drift } = JSON.parse(fs.readFileSync(this.o.paths.profile, 'utf8')) as DataProfiles;
      return train ? { train, ...(val ? { val } : {}), ...(drift ? { drift } : {}) } : undefined;
    } catch {
      return undefined; // profiled again at fit start
    }
  }

  /** After a finished train phase: the newest valid checkpoint's weights into the model. */
  private loadFinalWeights(built: BuiltRun): void {
    const newest = listCheckpoints(this.checkpointDir).filter((c) => c.valid).sort((a, b) => b.step - a.step)[0];
    if (!newest) throw new Error(`phase train is recorded as done, but ${this.checkpointDir} holds no valid checkpoint to load the trained weights from; delete the train phase from session.json to train again`);
    loadWeights(newest.path, built.model);
    this.log(`loaded the trained weights of ${newest.path}`);
  }

  private async evaluate(built: BuiltRun): Promise<Record<string, unknown>> {
    if (!built.val) return { evaluated: false, reason: 'no validation data in the config (data.val)' };
    const result = await built.trainer.validate(built.val);
    fs.writeFileSync(this.o.paths.evaluation, `${JSON.stringify(result, null, 2)}\n`);
    return { ...result };
  }
}

function lastLogs(trainer: Trainer): Record<string, number> {
  const keep = Object.entries(trainer.logs).filter(([k, v]) => (k === 'train/loss' || k.startsWith('val/')) && Number.isFinite(v));
  return Object.fromEntries(keep);
}
