// The loggers, checked by independent readers: TensorBoard's own EventAccumulator and tbparse
// (from PyPI, scripts/requirements-test.txt) must each see every logged step and value (a bad
// checksum would make them silently drop the rest of a file, so the test counts), the histograms,
// the text and the hyperparameters; JSONL and CSV rows are compared with what onLog handed over;
// a resumed run (after a kill that left torn writes behind) appends without a duplicate step.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, checkpoint, engine, loggers, nn, torch } from '../../lib/index.js';
import { type TrainerView } from '../../lib/engine/hooks.js';
import { frameRecord, readRecords } from '../../lib/loggers/tensorboard/event-file.js';
import { parseCsvLine } from '../../lib/loggers/csv-logger.js';
import { parityRequired, referencePython } from '../helpers/python.js';

const { Trainer, DefaultHooks } = engine;
const READER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'read_tensorboard.py');
const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-loggers-'));
  dirs.push(d);
  return d;
};
const made: unknown[] = [];
afterAll(() => {
  torch.dispose(made.splice(0));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const python = referencePython();
const readersMissing = !python ? 'no reference Python' : spawnSync(python, ['-c', 'import tensorboard, tbparse']).status !== 0 ? `${python} lacks tensorboard or tbparse (bash scripts/setup.sh installs scripts/requirements-test.txt)` : null;
if (readersMissing && parityRequired) throw new Error(`the TensorBoard readers are required here: ${readersMissing}`);
if (readersMissing) console.warn(`\nLOGGER READER TESTS NOT RUN: ${readersMissing}\n`);

type Series = Record<string, [number, number | null][]>;
interface Seen {
  tensorboard: { scalars: Series; histograms: Record<string, [number, number, number[]][]>; text: Record<string, [number, string][]>; hparams: Record<string, unknown> | null; status: number | null; events_per_file: Record<string, number> };
  tbparse: { scalars: Series; histograms: Record<string, [number, number][]>; text: Record<string, [number, string][]>; hparams: Record<string, unknown> };
}

function readTensorBoard(dir: string): Seen {
  const r = spawnSync(python!, [READER, dir], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  if (r.status !== 0) throw new Error(`read_tensorboard.py failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as Seen;
}

function regression(batches: number, seed: number): { x: Tensor; y: Tensor }[] {
  torch.manualSeed(seed);
  const data = torch.scope(() => {
    const w = torch.randn([4, 1]);
    return Array.from({ length: batches }, () => {
      const x = torch.randn([8, 4]);
      return { x, y: x.matmul(w).add(0.5) };
    });
  });
  made.push(torch.keep(data));
  return data;
}

const task = { type: 'regression' as const, fields: { inputs: 'x', labels: 'y' } };
const model = () => {
  torch.manualSeed(1);
  return new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 1));
};
const train = regression(6, 0), val = regression(2, 1);

/** What onLog handed over: tag -> [step, value], the first value of a tag at a step (as the loggers keep). */
class Recorder extends DefaultHooks {
  series: Record<string, [number, number][]> = {};
  calls: { step: number; epoch: number; logs: Record<string, number> }[] = [];
  override onLog(t: TrainerView, logs: Readonly<Record<string, number>>, step: number): void {
    this.calls.push({ step, epoch: t.epoch, logs: { ...logs } });
    for (const [tag, v] of Object.entries(logs)) {
      const s = (this.series[tag] ??= []);
      if (!s.some(([st]) => st === step)) s.push([step, v]);
    }
  }
}

function setup(root: string, maxSteps: number) {
  const recorder = new Recorder();
  const tb = new loggers.TensorBoardLogger({ dir: path.join(root, 'tb'), histogramsEveryNSteps: 5,
    textSamples: { everyNSteps: 5, generate: (_t, step) => `sample at step ${step}` }, hparams: { note: 'test run' } });
  const jsonl = new loggers.JsonlLogger({ path: path.join(root, 'log.jsonl') });
  const csv = new loggers.CsvLogger({ path: path.join(root, 'log.csv') });
  const trainer = new Trainer({ model: model(), task, train, val, callbacks: [recorder, tb, jsonl, csv],
    config: { maxSteps, logEveryNSteps: 2, maxGradNorm: 1, device: 'cpu', schedule: { name: 'constant' } },
    checkpoint: { dir: path.join(root, 'ckpt'), everyNSteps: 4 } });
  return { trainer, recorder, tb };
}

const close = (a: number | null, b: number) => a !== null && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

/** Every tag's [step, value] list as a reader saw it equals the expected one (float32 in event files). */
function expectSeries(seen: Series, expected: Record<string, [number, number][]>, reader: string): void {
  expect(Object.keys(seen).sort(), `${reader}: scalar tags`).toEqual(Object.keys(expected).sort());
  for (const [tag, want] of Object.entries(expected)) {
    const got = [...seen[tag]].sort((a, b) => a[0] - b[0]);
    expect(got.map(([s]) => s), `${reader}: steps of ${tag}`).toEqual(want.map(([s]) => s));
    got.forEach(([, v], i) => expect(close(v, want[i][1]), `${reader}: ${tag} at step ${got[i][0]}: ${v} vs ${want[i][1]}`).toBe(true));
  }
}

function jsonlRows(file: string): Record<string, number | null>[] {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | null>);
}

function csvRows(file: string): Record<string, string>[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n').map(parseCsvLine);
  return lines.map((cells) => {
    expect(cells.length).toBe(header.length);
    return Object.fromEntries(header.map((h, i) => [h, cells[i]]));
  });
}

/** A file of rows holds each expected (tag, step, value) once, and no other. */
function expectRows(rows: Record<string, unknown>[], expected: Record<string, [number, number][]>, what: string): void {
  const got: Record<string, [number, number][]> = {};
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      if (['step', 'epoch', 'wall_time'].includes(k) || v === '' || v === null) continue;
      (got[k] ??= []).push([row.step as number, Number(v)]);
    }
  }
  expect(Object.keys(got).sort(), `${what}: tags`).toEqual(Object.keys(expected).sort());
  for (const [tag, want] of Object.entries(expected)) expect(got[tag].map(([s]) => Number(s)), `${what}: steps of ${tag}`).toEqual(want.map(([s]) => s));
  for (const [tag, want] of Object.entries(expected)) got[tag].forEach(([, v], i) => expect(v, `${what}: ${tag}`).toBe(want[i][1]));
}

describe.skipIf(readersMissing !== null)('loggers, read by TensorBoard and tbparse', () => {
  it('a run: every scalar at every step, histograms, text and hyperparameters arrive', async () => {
    const root = tmp();
    const { trainer, recorder, tb } = setup(root, 15);
    await trainer.fit();
    // Logging steps 2..14, the epoch ends at 6 and 12 (with validation), the run's end at 15.
    expect(recorder.series['train/loss'].map(([s]) => s)).toEqual([2, 4, 6, 8, 10, 12, 14, 15]);
    expect(recorder.series['val/loss'].map(([s]) => s)).toEqual([6, 12, 15]);

    const seen = readTensorBoard(path.join(root, 'tb'));
    expectSeries(seen.tensorboard.scalars, recorder.series, 'EventAccumulator');
    expectSeries(seen.tbparse.scalars, recorder.series, 'tbparse');
    // Every record we wrote is read (a bad checksum would stop the reader early).
    const [file] = Object.keys(seen.tensorboard.events_per_file);
    const ours = readRecords(tb.file!);
    expect(ours.end).toBe(ours.size);
    expect(seen.tensorboard.events_per_file[file]).toBe(ours.records.length);

    const params = (trainer.model as nn.Module).namedParameters();
    for (const [name, p] of params) {
      for (const tag of [`weights/${name}`, `gradients/${name}`]) {
        expect(seen.tensorboard.histograms[tag].map(([s, n]) => [s, n]), tag).toEqual([5, 10, 15].map((s) => [s, p.numel()]));
        expect(seen.tbparse.histograms[tag].map(([s, n]) => [s, n]), tag).toEqual([5, 10, 15].map((s) => [s, p.numel()]));
      }
    }
    expect(seen.tensorboard.text.samples).toEqual([5, 10, 15].map((s) => [s, `sample at step ${s}`]));
    expect(seen.tbparse.text.samples).toEqual([5, 10, 15].map((s) => [s, `sample at step ${s}`]));
    expect(seen.tensorboard.text.config[0][1]).toContain('"maxSteps": 15');
    for (const hp of [seen.tensorboard.hparams!, seen.tbparse.hparams]) {
      expect(hp['maxSteps']).toBe(15);
      expect(hp['optimizer.lr']).toBe(1e-3);
      expect(hp['optimizer.name']).toBe('adamw');
      expect(hp['note']).toBe('test run');
    }
    expect(seen.tensorboard.status).toBe(1);

    // JSONL and CSV: one row per onLog call, each value exactly as handed over.
    expectRows(jsonlRows(path.join(root, 'log.jsonl')), recorder.series, 'JSONL');
    const csv = csvRows(path.join(root, 'log.csv'));
    expectRows(csv.map((r) => ({ ...r, step: Number(r.step) })), recorder.series, 'CSV');
    expect(Object.keys(csv[0]).slice(0, 3)).toEqual(['step', 'epoch', 'wall_time']);
    // The validation columns appeared at step 6: earlier rows have empty cells there.
    expect(csv[0]['val/loss']).toBe('');
    // A row names the epoch its step belongs to (the epoch-end validation's too).
    expect(csv.filter((r) => r['val/loss'] !== '').map((r) => [Number(r.step), Number(r.epoch)])).toEqual([[6, 0], [12, 1], [15, 2]]);
  });

  it('a resumed run appends without duplicate steps, past a kill\'s torn writes', async () => {
    const root = tmp();
    const first = setup(root, 10);
    await first.trainer.fit();
    // The run is "killed" after step 10: its logs and files hold steps up to 10 plus half-written
    // records; it resumes from the checkpoint at step 8.
    fs.appendFileSync(first.tb.file!, frameRecord(Buffer.from('half a record')).subarray(0, 9));
    fs.appendFileSync(path.join(root, 'log.csv'), '10,1,1234.5,0.');
    fs.appendFileSync(path.join(root, 'log.jsonl'), '{"step":11,"train/lo');
    const at8 = checkpoint.list(path.join(root, 'ckpt')).find((c) => c.step === 8)!;
    const second = setup(root, 14);
    await second.trainer.fit({ resumeFrom: at8.path });
    expect(second.trainer.step).toBe(14);

    // Steps up to 8 from the first run, after 8 from the resumed one.
    const expected: Record<string, [number, number][]> = {};
    for (const tag of new Set([...Object.keys(first.recorder.series), ...Object.keys(second.recorder.series)])) {
      expected[tag] = [...(first.recorder.series[tag] ?? []).filter(([s]) => s <= 8), ...(second.recorder.series[tag] ?? [])];
    }
    expect(expected['train/loss'].map(([s]) => s)).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(expected['val/loss'].map(([s]) => s)).toEqual([6, 12, 14]);
    const seen = readTensorBoard(path.join(root, 'tb'));
    expectSeries(seen.tensorboard.scalars, expected, 'EventAccumulator');
    expectSeries(seen.tbparse.scalars, expected, 'tbparse');
    const hist = seen.tensorboard.histograms['weights/0.weight'].map(([s]) => s);
    expect(hist).toEqual([5, 10]);
    expect(seen.tensorboard.text.samples.map(([s]) => s)).toEqual([5, 10]);
    expect(seen.tensorboard.hparams!['maxSteps']).toBe(10);
    // Each file is read to its end: nothing after a bad record is lost.
    for (const [name, count] of Object.entries(seen.tensorboard.events_per_file)) {
      const ours = readRecords(path.join(root, 'tb', name));
      expect(ours.end, name).toBe(ours.size);
      expect(count, name).toBe(ours.records.length);
    }
    expectRows(jsonlRows(path.join(root, 'log.jsonl')), expected, 'JSONL');
    expectRows(csvRows(path.join(root, 'log.csv')).map((r) => ({ ...r, step: Number(r.step) })), expected, 'CSV');
  });
});

describe('loggers without readers', () => {
  it('refuse options without a path or dir', () => {
    expect(() => new loggers.CsvLogger({} as never)).toThrow(/path/);
    expect(() => new loggers.JsonlLogger({ path: '' })).toThrow(/path/);
    expect(() => new loggers.TensorBoardLogger({ dir: 'x', histogramsEveryNSteps: -1 })).toThrow(/histogramsEveryNSteps/);
  });

  it('a CSV cell with commas and quotes round-trips', () => {
    expect(parseCsvLine('1,"a,b","say ""hi""",')).toEqual(['1', 'a,b', 'say "hi"', '']);
  });
});
