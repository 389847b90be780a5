// The run folder: everything one run leaves behind, in one place, under fixed names.
//
//   runs/<name>-<YYYYMMDD-HHMMSS>/
//     config.yaml          the resolved config (overrides applied): what `resume` rebuilds from
//     session.json         the session record (session.ts)
//     checkpoints/         checkpoint-<step>/ folders (lib/checkpoint)
//     logs/                metrics.jsonl, metrics.csv, tensorboard/ (as the config's loggers say)
//     dashboard.html       the HTML dashboard (one self-contained file)
//     data-profile.json    the check phase's data profiles and drift (when lib/metrics has them)
//     evaluation.json      the evaluate phase's validation metrics
//     export/              the export bundle (lib/bundle)
import fs from 'node:fs';
import path from 'node:path';
import { list as listCheckpoints } from '../checkpoint/folder.js';

export const RUN_FILES = {
  config: 'config.yaml',
  session: 'session.json',
  checkpoints: 'checkpoints',
  logs: 'logs',
  dashboard: 'dashboard.html',
  profile: 'data-profile.json',
  evaluation: 'evaluation.json',
  export: 'export',
} as const;

export type RunPaths = { root: string } & { [K in keyof typeof RUN_FILES]: string };

export function runPaths(runDir: string): RunPaths {
  const root = path.resolve(runDir);
  const entries = Object.entries(RUN_FILES).map(([k, name]) => [k, path.join(root, name)]);
  return { root, ...Object.fromEntries(entries) } as RunPaths;
}

/** 20261130-082431: sorts by time, safe in file names on every system. */
export function timestamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** A run name as a folder name: letters, digits, '.', '_' and '-' kept, anything else a '-'. */
export function safeName(name: string): string {
  const cleaned = name.trim().replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return cleaned || 'run';
}

/** runs/<name>-<timestamp> under `root` (default ./runs); a taken name gets -2, -3, ... */
export function defaultRunDir(name: string, root = 'runs', date = new Date()): string {
  const base = path.resolve(root, `${safeName(name)}-${timestamp(date)}`);
  let dir = base;
  for (let n = 2; fs.existsSync(dir); n++) dir = `${base}-${n}`;
  return dir;
}

/** The newest valid checkpoint folder under `dir`, or an error saying what is there and what to do. */
export function newestValidCheckpoint(dir: string, runRoot: string): string {
  const all = listCheckpoints(dir);
  const valid = all.filter((c) => c.valid);
  if (valid.length === 0) {
    const why = all.length ? ` (${all.map((c) => `${path.basename(c.path)}: ${c.problem}`).join('; ')})` : '';
    throw new Error(`${runRoot} has no valid checkpoint in ${dir}${why}; train it first (torchtrain fit, or torchtrain resume ${runRoot})`);
  }
  return valid.at(-1)!.path;
}
