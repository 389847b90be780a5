// What the loggers share: the rule that a logged tag has one value per step, the epoch a row
// belongs to, and the resume rule for files of rows (JSONL, CSV).
//
// The resume rule: a fit that starts at step S keeps the rows at steps <= S (the history a
// resumed run continues: they were written before the checkpoint it resumed from) and drops the
// later ones (written after that checkpoint; the resumed run logs those steps again), so a
// resumed run appends without a duplicate step. A fresh run (S = 0) thus starts a fresh file.
// A torn last line (a run killed mid-write) is dropped too.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { type TrainerView } from '../engine/hooks.js';

/** One logged row: the step, the epoch it belongs to, the wall time (Unix seconds) and the scalars. */
export interface LogRow {
  step: number;
  epoch: number;
  wallTime: number;
  values: Record<string, number>;
}

/**
 * The epoch a row at the trainer's current step belongs to: after an epoch's last update the
 * Trainer's epoch counter has already moved on (its position is 0), so the epoch-end
 * validation's row names the epoch it validated, not the next one.
 */
export function epochOfStep(t: TrainerView): number {
  const s = t.state;
  return s.batchInEpoch === 0 && s.step > 0 && s.epoch > 0 ? s.epoch - 1 : s.epoch;
}

/** Keeps each tag's last logged step and lets through only values at a later step (no duplicate steps). */
export class StepFilter {
  private readonly last = new Map<string, number>();

  /** The values whose tag has not been logged at `step` or later; records them as logged. */
  take(step: number, values: Readonly<Record<string, number>>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [tag, v] of Object.entries(values)) {
      if (typeof v !== 'number' || (this.last.get(tag) ?? -1) >= step) continue;
      this.last.set(tag, step);
      out[tag] = v;
    }
    return out;
  }

  /** Marks tags as logged at a step (rows read back from an existing file). */
  seen(step: number, tags: Iterable<string>): void {
    for (const tag of tags) this.last.set(tag, Math.max(step, this.last.get(tag) ?? -1));
  }

  clear(): void {
    this.last.clear();
  }
}

/** Writes a whole file through a temporary one and a rename, so a kill leaves the old or the new file. */
export function replaceFile(path: string, content: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Applies the resume rule to a file of lines after `skip` header lines: parse returns a line's
 * row (null: a torn line, dropped); onHeader sees the header lines first. Returns the header lines and the kept rows; rewrites the
 * file when any line was dropped, and warns when rows after `startStep` were.
 */
export function keepRowsUpTo<R extends { step: number }>(path: string, startStep: number, who: string, skip: number,
  parse: (line: string) => R | null, onHeader?: (header: string[]) => void): { header: string[]; rows: R[] } {
  if (!existsSync(path)) return { header: [], rows: [] };
  const lines = readFileSync(path, 'utf8').split('\n');
  // Each row is written with its newline in one write: a last line without one was cut by a kill.
  const tornTail = lines.pop() !== '';
  const header = lines.slice(0, skip);
  onHeader?.(header);
  const rows: R[] = [], kept: string[] = [];
  let later = 0, torn = tornTail ? 1 : 0;
  for (const line of lines.slice(skip)) {
    const row = parse(line);
    if (row === null) torn += 1;
    else if (row.step > startStep) later += 1;
    else {
      rows.push(row);
      kept.push(line);
    }
  }
  if (later) {
    process.emitWarning(`${who}: ${path} held ${later} row${later > 1 ? 's' : ''} after step ${startStep}, where this run starts `
      + `(${startStep === 0 ? 'an earlier run\'s: a fresh run starts a fresh file' : 'written after the checkpoint it resumed from: the run logs those steps again'}); dropped them`, 'LoggerWarning');
  }
  if (later || torn) replaceFile(path, [...header, ...kept].map((l) => l + '\n').join(''));
  return { header, rows };
}
