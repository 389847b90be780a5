// CsvLogger: one row per logging step: step, epoch, wall_time (Unix seconds), then one column per
// scalar tag in the order the tags first appeared. A tag that appears later (the first
// validation's 'val/*', a callback's own log) adds a column: the file is rewritten once with the
// wider header (through a temporary file and a rename), earlier rows getting empty cells, so
// every reader (pandas, a spreadsheet, csv.DictReader) sees one consistent table. A tag without a
// value in a row is an empty cell; non-finite values are nan, inf and -inf (what pandas reads).
import { readFileSync } from 'node:fs';
import { RowFileLogger, type RowFileLoggerOptions } from './row-file-logger.js';
import { keepRowsUpTo, type LogRow, replaceFile } from './run-log.js';

export type CsvLoggerOptions = RowFileLoggerOptions;

const FIXED = ['step', 'epoch', 'wall_time'];

/** A cell, quoted when it holds a comma, a quote or a line break (RFC 4180). */
function cell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""').replace(/[\r\n]+/g, ' ')}"` : text;
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return String(v);
}

/** One line of RFC 4180 CSV (no line breaks inside cells: cell() never writes one). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let value = '';
    if (line[i] === '"') {
      i += 1;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new SyntaxError('unterminated quoted cell');
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else {
      const end = line.indexOf(',', i);
      value = line.slice(i, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    }
    out.push(value);
    if (line[i] !== ',') return out;
    i += 1;
  }
}

export class CsvLogger extends RowFileLogger {
  private columns: string[] = [];
  private headerWritten = false;

  constructor(options: CsvLoggerOptions) {
    super(options, 'CsvLogger');
  }

  protected resume(startStep: number): void {
    let columns: string[] = [];
    const { header, rows } = keepRowsUpTo(this.path, startStep, 'CsvLogger', 1, (line) => {
      try {
        const cells = parseCsvLine(line);
        const step = Number(cells[0]);
        if (cells.length !== columns.length || !Number.isInteger(step)) return null;
        return { step, tags: columns.filter((_, i) => i >= FIXED.length && cells[i] !== '') };
      } catch {
        return null;
      }
    }, (lines) => {
      columns = lines.length ? parseCsvLine(lines[0]) : [];
      if (lines.length && columns.slice(0, FIXED.length).join() !== FIXED.join()) {
        throw new RangeError(`CsvLogger: ${this.path} exists but is not a CsvLogger file (its header is ${lines[0].slice(0, 80)}); give another path or move it away`);
      }
    });
    this.headerWritten = header.length > 0;
    this.columns = this.headerWritten ? columns : [...FIXED];
    for (const r of rows) this.filter.seen(r.step, r.tags);
  }

  protected render(row: LogRow): string {
    const added = Object.keys(row.values).filter((t) => !this.columns.includes(t));
    if (added.length || !this.headerWritten) this.widen(added);
    const cells = this.columns.map((c) => {
      if (c === 'step') return String(row.step);
      if (c === 'epoch') return String(row.epoch);
      if (c === 'wall_time') return row.wallTime.toFixed(3);
      const v = row.values[c];
      return v === undefined ? '' : formatNumber(v);
    });
    return cells.join(',') + '\n';
  }

  /** Rewrites the file with new columns: the header widened, earlier rows padded with empty cells. */
  private widen(added: string[]): void {
    const before = this.columns.length;
    this.columns = [...this.columns, ...added];
    let rows: string[] = [];
    try {
      rows = readFileSync(this.path, 'utf8').split('\n').slice(1).filter((l) => l !== '');
    } catch { /* no file yet */ }
    const pad = ','.repeat(this.columns.length - before);
    const text = [this.columns.map(cell).join(','), ...rows.map((r) => r + pad)].map((l) => l + '\n').join('');
    replaceFile(this.path, text);
    this.headerWritten = true;
    this.reopen();
  }
}
