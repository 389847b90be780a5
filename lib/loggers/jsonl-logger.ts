// JsonlLogger: one JSON object per line and logging step, as the Hugging Face Trainer's log
// history: { "step", "epoch", "wall_time", "train/loss", ... }. Non-finite values (JSON has no
// NaN or Infinity) are written as null.
import { RowFileLogger, type RowFileLoggerOptions } from './row-file-logger.js';
import { keepRowsUpTo, type LogRow } from './run-log.js';

export type JsonlLoggerOptions = RowFileLoggerOptions;

export class JsonlLogger extends RowFileLogger {
  constructor(options: JsonlLoggerOptions) {
    super(options, 'JsonlLogger');
  }

  protected resume(startStep: number): void {
    const { rows } = keepRowsUpTo(this.path, startStep, 'JsonlLogger', 0, (line) => {
      try {
        const row = JSON.parse(line) as Record<string, unknown>;
        return typeof row.step === 'number' ? { step: row.step, tags: Object.keys(row).filter((k) => !['step', 'epoch', 'wall_time'].includes(k)) } : null;
      } catch {
        return null;
      }
    });
    for (const r of rows) this.filter.seen(r.step, r.tags);
  }

  protected render(row: LogRow): string {
    const values = Object.fromEntries(Object.entries(row.values).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
    return JSON.stringify({ step: row.step, epoch: row.epoch, wall_time: Number(row.wallTime.toFixed(3)), ...values }) + '\n';
  }
}
