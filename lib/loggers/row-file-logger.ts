// The common part of the loggers that write one row per logging step to a file (JSONL, CSV): the
// file is opened at the first row or fit start (applying the resume rule of run-log.ts), each row
// is written with one synchronous write and fsync'd, so a killed run keeps every row it logged.
import { closeSync, fdatasyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { DefaultHooks, type TrainerView } from '../engine/hooks.js';
import { epochOfStep, type LogRow, StepFilter } from './run-log.js';

export interface RowFileLoggerOptions {
  /** The file to write (its folder is created). */
  path: string;
  /** fsync after each row (default true): rows survive a crash of the machine, not only of the process. */
  fsync?: boolean;
}

export abstract class RowFileLogger extends DefaultHooks {
  /** Writes for the whole job: in data-parallel training only rank 0 runs it. */
  readonly rankZeroOnly = true;
  readonly path: string;
  private fd: number | null = null;
  protected readonly filter = new StepFilter();

  constructor(readonly options: RowFileLoggerOptions, who: string) {
    super();
    if (!options || typeof options.path !== 'string' || options.path === '') {
      throw new TypeError(`${who}: expected options { path: string }, got ${JSON.stringify(options)}`);
    }
    this.path = path.resolve(options.path);
  }

  /** Applies the resume rule to the existing file for a run starting at startStep; seeds this.filter. */
  protected abstract resume(startStep: number): void;
  /** The text of one row (with its newline); may rewrite the file first (the CSV header). */
  protected abstract render(row: LogRow): string;

  override onFitStart(t: TrainerView): void {
    this.open(t);
  }

  override onLog(t: TrainerView, logs: Readonly<Record<string, number>>, step: number): void {
    this.open(t);
    const values = this.filter.take(step, logs);
    if (Object.keys(values).length === 0) return;
    this.append(this.render({ step, epoch: epochOfStep(t), wallTime: Date.now() / 1000, values }));
  }

  override onFitEnd(): void {
    this.close();
  }

  override onException(): void {
    this.close();
  }

  private open(t: TrainerView): void {
    if (this.fd !== null) return;
    mkdirSync(path.dirname(this.path), { recursive: true });
    this.filter.clear();
    this.resume(t.step);
    this.fd = openSync(this.path, 'a');
  }

  /** Reopens the file after a rewrite (appends go to the new file). */
  protected reopen(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
  }

  private append(text: string): void {
    writeSync(this.fd!, text);
    if (this.options.fsync ?? true) fdatasyncSync(this.fd!);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}
