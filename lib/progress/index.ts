// Progress for long pieces of work that are not a training epoch (tokenising a corpus, profiling
// a dataset, validating, writing a checkpoint or bundle): a bar with rate and ETA on a TTY, plain
// lines in logs. Quick work prints nothing, so tests and small runs stay quiet; the
// TORCHTRAIN_PROGRESS=0 environment variable silences it everywhere.
//
// Callers tick per unit (a line, a batch, a file), possibly millions of times a second: a tick is a
// clock read and a comparison, and the bar is fed at most every BAR_UPDATE_MS (cli-progress
// estimates the ETA from its last few updates, which per-unit updates would make jump). The bar
// redraws on a timer until finish() or fail(): call one of them in a finally block.
import cliProgress from 'cli-progress';

const BAR_UPDATE_MS = 200;

/** What progress writes to: process.stderr, a file stream, anything with write(). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  /** Units of work in all; unknown (a stream without a length) shows a count and rate only. */
  total?: number;
  /** What a unit is, for the messages ('items', 'tokens', 'MB'). */
  unit?: string;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Work shorter than this shows nothing (default 1 s). */
  quietForMs?: number;
  /** Plain (non-TTY) lines at most this often (default 10 s). */
  lineEveryMs?: number;
}

export class Progress {
  private done = 0;
  private readonly started = performance.now();
  private lastLine = this.started;
  private lastBarUpdate = -Infinity;
  private bar: cliProgress.SingleBar | null = null;
  private shown = false;
  private finished = false;
  private readonly stream: ProgressStream;
  private readonly enabled: boolean;

  constructor(readonly label: string, private readonly options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = process.env.TORCHTRAIN_PROGRESS !== '0';
  }

  /** Adds n units of work done. */
  tick(n = 1): void {
    this.update(this.done + n);
  }

  /** Sets the units of work done so far. */
  update(done: number): void {
    this.done = done;
    if (!this.enabled || this.finished) return;
    const now = performance.now();
    if (now - this.started < (this.options.quietForMs ?? 1000)) return;
    if (this.stream.isTTY) {
      if (!this.bar) this.startBar(now);
      if (now - this.lastBarUpdate < BAR_UPDATE_MS) return;
      this.lastBarUpdate = now;
      this.bar!.update(this.barValue(), this.payload(now));
      return;
    }
    if (!this.shown || now - this.lastLine >= (this.options.lineEveryMs ?? 10_000)) {
      this.lastLine = now;
      this.shown = true;
      this.stream.write(`${this.label}: ${this.count()}, ${this.rate(now)} ${this.unit}/s${this.eta(now)}\n`);
    }
  }

  /** Ends the work; prints a closing line if anything was shown (or the work took long). */
  finish(note?: string): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.enabled) return;
    const now = performance.now();
    this.stopBar(now);
    if (this.bar || this.shown || now - this.started >= (this.options.quietForMs ?? 1000)) {
      this.stream.write(`${this.label}: done, ${this.done} ${this.unit} in ${this.seconds(now)} s${note ? ` (${note})` : ''}\n`);
    }
  }

  /** Ends work that failed or was stopped: the bar stops and, if anything was shown, a line says where. */
  fail(reason?: string): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.enabled) return;
    const now = performance.now();
    this.stopBar(now);
    if (this.bar || this.shown) {
      this.stream.write(`${this.label}: stopped at ${this.count()} after ${this.seconds(now)} s${reason ? ` (${reason})` : ''}\n`);
    }
  }

  private stopBar(now: number): void {
    if (!this.bar) return;
    this.bar.update(this.barValue(), this.payload(now));
    this.bar.stop();
  }

  private barValue(): number {
    return Math.min(this.done, this.options.total ?? this.done);
  }

  private seconds(now: number): string {
    return ((now - this.started) / 1000).toFixed(1);
  }

  private get unit(): string {
    return this.options.unit ?? 'items';
  }

  private count(): string {
    return this.options.total === undefined ? `${this.done} ${this.unit}` : `${this.done}/${this.options.total} ${this.unit}`;
  }

  private rate(now: number): string {
    const perSecond = this.done / Math.max(1e-3, (now - this.started) / 1000);
    return perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(1);
  }

  private eta(now: number): string {
    const left = this.etaText(now);
    return left === '' ? '' : `, ETA ${left}`;
  }

  // From the average rate since the start: cli-progress's own ETA only sees the bar's short life
  // (it starts after quietForMs, part-way through) and says 0 s at first.
  private etaText(now: number): string {
    const total = this.options.total;
    if (total === undefined || this.done === 0) return '';
    const seconds = Math.max(0, ((now - this.started) / 1000) * (total - this.done) / this.done);
    return seconds < 90 ? `${seconds.toFixed(0)} s` : `${(seconds / 60).toFixed(1)} min`;
  }

  private payload(now: number): { rate: string; etaText: string } {
    return { rate: this.rate(now), etaText: this.etaText(now) || '-' };
  }

  private startBar(now: number): void {
    const total = this.options.total;
    this.bar = new cliProgress.SingleBar({
      stream: this.stream as NodeJS.WriteStream,
      format: total === undefined
        ? `${this.label} {value} ${this.unit} | {rate} ${this.unit}/s`
        : `${this.label} |{bar}| {value}/{total} ${this.unit} | {rate} ${this.unit}/s | ETA {etaText}`,
      // The cursor stays visible: a run killed mid-bar would leave the terminal without one, and
      // cli-progress's gracefulExit would take over SIGINT from the Trainer's own handling.
      hideCursor: false,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(total ?? 0, this.barValue(), this.payload(now));
  }
}

/** Starts reporting progress on a piece of work; call tick()/update() as it goes and finish() at the end. */
export function startProgress(label: string, options: ProgressOptions = {}): Progress {
  return new Progress(label, options);
}
