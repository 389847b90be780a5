// HtmlDashboard: a callback that keeps the run's history (every logging step's scalars, every
// validation, every epoch) and writes it as ONE self-contained .html file: uPlot's script and
// style inlined from node_modules, the data as JSON in the page, a Content-Security-Policy that
// allows no network at all, so the file opens offline from file:// (html-dashboard-page.ts).
//
//   new loggers.HtmlDashboard({ path: 'runs/x/dashboard.html', config, task })
//
// The page is rewritten at logging intervals, at most every minIntervalMs (a trailing timer lands
// the latest values when logging pauses), and always at the end of fit; every write goes to a
// temporary file renamed over the page, so a browser never reads half a file.
//
// The training values come from onLog (once per logging step and at epoch ends), validations
// from onValidationEnd. Driven by something that never calls onLog, the dashboard finds the
// refreshes itself: the loop refreshes trainer.logs right after a logging step's onTrainBatchEnd,
// so the next hook (a batch end, a validation end, the epoch's end) sees new train/loss and
// train/throughput values, which nothing but that refresh writes.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { info as torchInfo } from '../core/runtime.js';
import { type EpochResult, type FitResult, type StepInfo, type TrainerView, type TrainingHooks } from '../engine/hooks.js';
import { renderDashboardPage, type DashboardPageData } from './html-dashboard-page.js';
import { dashboardProfilesOf } from './html-dashboard-profiles.js';

/** A confusion matrix: matrix[true class][predicted class] = count. */
export interface ConfusionMatrix {
  matrix: number[][];
  /** Class names (default: 0..n-1). */
  labels?: string[];
  /** The optimizer step it was computed at (default: the step when it was given). */
  step?: number;
}

/**
 * Data profiles and drift (issue 12 item 4: computeDatasetProfile / compareProfiles). Any
 * JSON-like shape renders: arrays of flat rows as tables (a row with `flagged: true` is marked),
 * objects as key/value tables.
 */
export interface DashboardProfiles {
  /** One profile per split, e.g. { train: profile, val: profile }. */
  profiles?: Record<string, unknown>;
  /** compareProfiles' result. */
  drift?: unknown;
}

type Provider<T> = T | (() => T | null | undefined);

export interface HtmlDashboardOptions {
  /** The .html file to write (its folder is created). */
  path: string;
  /** The page's title (default: the file's name). */
  title?: string;
  /** The fewest milliseconds between two writes during training (default 5000; the end of fit always writes). */
  minIntervalMs?: number;
  /** The training config to show (default: trainer.config where the Trainer exposes it). */
  config?: unknown;
  /** The TaskSpec to show (default: trainer.task where the Trainer exposes it). */
  task?: unknown;
  /** Library, libtorch and device info (default: torch.info() and the model's device; false: none). */
  info?: Record<string, unknown> | false;
  /** A confusion matrix, or a function giving the latest one at each write. */
  confusionMatrix?: Provider<ConfusionMatrix>;
  /** Data profiles and drift, or a function giving them at each write. */
  profiles?: Provider<DashboardProfiles>;
  /** While the run is going, the page reloads itself every this many seconds (default 15; 0: never). */
  autoRefreshSeconds?: number;
}

interface TrainPoint { step: number; epoch: number; time: number; values: Record<string, number> }
interface ValidationPoint { step: number; epoch: number; time: number; metrics: Record<string, number> }
type EpochRow = Omit<EpochResult, 'validation'> & { validation?: Record<string, number> };

/** Tags the training loop's refresh writes (and nothing else does). */
const REFRESH_TAGS = ['train/loss', 'train/throughput'];

export class HtmlDashboard implements TrainingHooks {
  /** Writes for the whole job: in data-parallel training only rank 0 runs it. */
  readonly rankZeroOnly = true;
  readonly stateKey = 'HtmlDashboard';
  readonly path: string;
  /** How many times the page was written (for tests and curious users). */
  writes = 0;
  private train: TrainPoint[] = [];
  private validation: ValidationPoint[] = [];
  private epochs: EpochRow[] = [];
  private status: { state: 'waiting' | 'running' | 'finished' | 'failed'; detail: string } = { state: 'waiting', detail: '' };
  private step = 0;
  private epoch = 0;
  private started = Date.now();
  private fingerprint = '';
  private viaOnLog = false;
  private lastWrite = 0;
  private timer: NodeJS.Timeout | null = null;
  private env: Record<string, unknown> | null = null;
  private config: unknown;
  private task: unknown;
  private matrix: Provider<ConfusionMatrix> | undefined;
  private profiles: Provider<DashboardProfiles> | undefined;
  private warned = false;

  constructor(readonly options: HtmlDashboardOptions) {
    if (!options || typeof options.path !== 'string' || !options.path) {
      throw new TypeError(`HtmlDashboard: expected options { path: 'dashboard.html', ... }, got ${JSON.stringify(options)}`);
    }
    const interval = options.minIntervalMs ?? 5000;
    if (!Number.isFinite(interval) || interval < 0) throw new RangeError(`HtmlDashboard: minIntervalMs must be a number >= 0, got ${interval}`);
    this.path = resolve(options.path);
    this.config = options.config;
    this.task = options.task;
    this.matrix = options.confusionMatrix;
    this.profiles = options.profiles;
  }

  /** Shows this confusion matrix (e.g. from the metrics tracker after a validation). */
  setConfusionMatrix(matrix: ConfusionMatrix | null): void {
    if (matrix) checkMatrix(matrix);
    this.matrix = matrix ?? undefined;
  }

  /** Shows these data profiles and drift results (issue 12 item 4). */
  setProfiles(profiles: DashboardProfiles | null): void {
    this.profiles = profiles ?? undefined;
  }

  onFitStart(t: TrainerView): void {
    this.started = Date.now();
    this.status = { state: 'running', detail: '' };
    this.see(t);
    const view = t as TrainerView & { config?: unknown; task?: unknown };
    this.config ??= view.config;
    this.task ??= view.task;
    // The Trainer's own data profiles (made just before onFitStart) unless the options gave some.
    if (this.profiles === undefined && 'dataProfiles' in t) this.profiles = () => dashboardProfilesOf(t.dataProfiles);
    this.env = this.options.info === false ? null : this.options.info ?? environment(t.model);
    this.fingerprint = fingerprintOf(t.logs);
    this.writeNow(true);   // a path that cannot be written fails here, before any training
  }

  /** After each refresh of trainer.logs: the training values of `step` (validations come through onValidationEnd). */
  onLog(t: TrainerView, logs: Readonly<Record<string, number>>, step: number): void {
    this.viaOnLog = true;
    this.record(t, step, logs);
  }

  onTrainBatchEnd(t: TrainerView, info: StepInfo): void {
    this.see(t);
    // The refresh of a logging step runs after that step's batch-end hook: a batch that took an
    // optimizer step sees the previous step's refresh.
    if (!this.viaOnLog) this.detect(t, info.optimizerStep ? info.step - 1 : info.step);
  }

  onValidationEnd(t: TrainerView, metrics: Record<string, number>): void {
    this.see(t);
    if (!this.viaOnLog) this.detect(t, t.step);
    const kept: Record<string, number> = {};
    for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number') kept[k] = v;
    this.validation.push({ step: t.step, epoch: t.epoch, time: Date.now(), metrics: kept });
    // The Trainer's latest confusion matrix, unless the options gave one (or a provider of one).
    if (this.options.confusionMatrix === undefined && t.confusionMatrix) this.setConfusionMatrix(t.confusionMatrix);
    this.requestWrite();
  }

  onTrainEpochEnd(t: TrainerView, result: EpochResult): void {
    this.see(t);
    if (!this.viaOnLog) this.detect(t, t.step);
    this.epochs.push({ ...result, validation: result.validation ? { ...result.validation } : undefined });
    this.requestWrite();
  }

  onFitEnd(t: TrainerView, result: FitResult): void {
    this.see(t);
    if (!this.viaOnLog) this.detect(t, t.step);
    this.status = { state: 'finished', detail: result.reason };
    this.writeNow(true);
  }

  onException(t: TrainerView, error: unknown): void {
    this.see(t);
    this.status = { state: 'failed', detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    this.writeNow(false);
  }

  /** The history (saved in checkpoints, so a resumed run's page shows the whole run). */
  stateDict(): Record<string, unknown> {
    return structuredClone({ train: this.train, validation: this.validation, epochs: this.epochs });
  }

  loadStateDict(state: Record<string, unknown>): void {
    const { train, validation, epochs } = state as { train?: unknown; validation?: unknown; epochs?: unknown };
    if (!Array.isArray(train) || !Array.isArray(validation) || !Array.isArray(epochs)) {
      throw new TypeError(`HtmlDashboard.loadStateDict: expected { train: [...], validation: [...], epochs: [...] }, got keys ${Object.keys(state ?? {}).join(', ')}`);
    }
    this.train = structuredClone(train);
    this.validation = structuredClone(validation);
    this.epochs = structuredClone(epochs);
  }

  /** The page as it would be written now. */
  render(): string {
    return renderDashboardPage(this.pageData());
  }

  /** Writes the page now (atomically: a temporary file renamed over it). */
  write(): void {
    this.writeNow(true);
  }

  private see(t: TrainerView): void {
    this.step = t.step;
    this.epoch = t.epoch;
  }

  /** Records trainer.logs when the loop's refresh changed them since the last look. */
  private detect(t: TrainerView, step: number): void {
    const now = fingerprintOf(t.logs);
    if (now === this.fingerprint) return;
    this.fingerprint = now;
    this.record(t, step);
  }

  private record(t: TrainerView, step: number, logs: Readonly<Record<string, number>> = t.logs): void {
    // Several refreshes at one step (a logging step, then the epoch's end or a checkpoint): the
    // later ones cover no new items, so the first is the measurement.
    if (this.train.length && this.train[this.train.length - 1].step >= step) return;
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(logs)) if (typeof v === 'number' && !k.startsWith('val/')) values[k] = v;
    if (values['train/throughput'] === 0) delete values['train/throughput'];   // an interval with no items
    if (!Object.keys(values).length) return;
    this.train.push({ step, epoch: t.epoch, time: Date.now(), values });
    this.requestWrite();
  }

  private requestWrite(): void {
    const interval = this.options.minIntervalMs ?? 5000;
    const wait = this.lastWrite + interval - Date.now();
    if (wait <= 0) return this.writeNow(false);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.writeNow(false);
    }, wait).unref();
  }

  /** Writes the page; a failure throws when `strict`, and warns once otherwise (training goes on). */
  private writeNow(strict: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(tmp, this.render());
      renameSync(tmp, this.path);
      this.writes += 1;
      this.lastWrite = Date.now();
    } catch (err) {
      const message = `HtmlDashboard: could not write ${this.path}: ${(err as Error).message}; fix: choose a writable path (options.path)`;
      if (strict) throw new Error(message, { cause: err });
      if (!this.warned) process.emitWarning(message, 'DashboardWarning');
      this.warned = true;
    }
  }

  private pageData(): DashboardPageData {
    const trainTags = [...new Set(this.train.flatMap((p) => Object.keys(p.values)))].sort();
    const valNames = [...new Set(this.validation.flatMap((p) => Object.keys(p.metrics)))];
    const matrix = resolveProvider(this.matrix);
    if (matrix) checkMatrix(matrix);
    return {
      title: this.options.title ?? this.path.split(/[\\/]/).pop()!.replace(/\.html?$/, ''),
      status: this.status.state,
      statusDetail: this.status.detail,
      updated: new Date().toISOString(),
      started: new Date(this.started).toISOString(),
      step: this.step,
      epoch: this.epoch,
      autoRefreshSeconds: this.status.state === 'running' ? this.options.autoRefreshSeconds ?? 15 : 0,
      train: {
        steps: this.train.map((p) => p.step),
        values: Object.fromEntries(trainTags.map((tag) => [tag, this.train.map((p) => finite(p.values[tag]))])),
      },
      validation: {
        steps: this.validation.map((p) => p.step),
        epochs: this.validation.map((p) => p.epoch),
        values: Object.fromEntries(valNames.map((name) => [name, this.validation.map((p) => finite(p.metrics[name]))])),
      },
      epochs: this.epochs.map((e) => ({ ...e })),
      confusionMatrix: matrix ? { matrix: matrix.matrix, labels: matrix.labels ?? matrix.matrix.map((_, i) => String(i)), step: matrix.step ?? this.step } : null,
      profiles: resolveProvider(this.profiles) ?? null,
      config: this.config ?? null,
      task: this.task ?? null,
      info: this.env,
    };
  }
}

function resolveProvider<T>(p: Provider<T> | undefined): T | null {
  if (p === undefined) return null;
  return (typeof p === 'function' ? (p as () => T | null | undefined)() : p) ?? null;
}

function finite(v: number | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function fingerprintOf(logs: Record<string, number>): string {
  return REFRESH_TAGS.map((tag) => String(logs[tag])).join('|');
}

function checkMatrix(m: ConfusionMatrix): void {
  const n = Array.isArray(m.matrix) ? m.matrix.length : -1;
  if (n < 1 || !m.matrix.every((row) => Array.isArray(row) && row.length === n && row.every((v) => typeof v === 'number'))) {
    throw new TypeError(`HtmlDashboard: a confusion matrix must be a square number[][] (rows: true class, columns: predicted), got ${JSON.stringify(m.matrix).slice(0, 80)}`);
  }
  if (m.labels && m.labels.length !== n) throw new RangeError(`HtmlDashboard: the confusion matrix has ${n} classes but ${m.labels.length} labels; give one label per class`);
}

/** torch.info() plus the model's device and the process (what a reader needs to place the run). */
function environment(model: unknown): Record<string, unknown> {
  const env: Record<string, unknown> = {};
  try {
    Object.assign(env, torchInfo());
  } catch (err) {
    env.torchInfo = `unavailable: ${(err as Error).message}`;
  }
  try {
    const params = (model as { parameters?: () => { device: string }[] }).parameters?.();
    if (params?.length) env.device = params[0].device;
  } catch {
    // a model without parameters() (a plain function): no device to show
  }
  env.node = process.version;
  env.platform = `${process.platform} ${process.arch}`;
  return env;
}
