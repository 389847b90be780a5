// The commands about the installation rather than a run: info, doctor, bench.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './errors.js';

/** The package root: two folders up from lib/cli/ (repository) and from dist/cli/ (installed). */
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Each benchmark's name (npm run bench:<name>) and its folder under bench/. */
const BENCH_FOLDERS: Record<string, string> = {
  ops: 'ops', optim: 'optim', models: 'models', train: 'train', checkpoint: 'checkpoint', ddp: 'distributed', checkpointing: 'checkpointing',
};
const BENCHES = Object.keys(BENCH_FOLDERS);
const DEFAULT_BENCHES = ['ops', 'optim', 'models', 'train'];

/** info.ts prints when imported (a script) or exports printInfo(): both work. */
export async function runInfo(): Promise<number> {
  const mod = await import('./info.js') as { printInfo?: () => unknown };
  if (typeof mod.printInfo === 'function') await mod.printInfo();
  return 0;
}

export async function runDoctorCommand(options: { json: boolean }): Promise<number> {
  const { runDoctor } = await import('./doctor.js');
  return runDoctor({ json: options.json });
}

/** Runs bench/<name>/run.ts with tsx (the scripts live in the repository, not the npm package). */
export async function runBench(options: { which: string[]; list: boolean }): Promise<number> {
  const unknown = options.which.filter((w) => !BENCHES.includes(w));
  if (unknown.length) throw new UsageError(`unknown benchmark '${unknown[0]}'; the benchmarks are ${BENCHES.join(', ')}`);
  const benchDir = path.join(PACKAGE_ROOT, 'bench');
  const which = options.which.length ? options.which : DEFAULT_BENCHES;
  if (options.list || !fs.existsSync(benchDir)) {
    if (!fs.existsSync(benchDir)) {
      console.log('The benchmarks ship with the repository, not the npm package: clone it and run `npm run bench` there.');
      return options.list ? 0 : 1;
    }
    for (const b of BENCHES) console.log(`${b.padEnd(13)} ${path.join(benchDir, BENCH_FOLDERS[b]!, 'run.ts')}  (npm run bench:${b})`);
    return 0;
  }
  for (const b of which) {
    console.log(`== bench ${b}`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(benchDir, BENCH_FOLDERS[b]!, 'run.ts')], { cwd: PACKAGE_ROOT, stdio: 'inherit' });
    if (r.error) throw new Error(`cannot run bench ${b}: ${r.error.message} (the benchmarks need the repository's devDependencies: npm install)`);
    if (r.status !== 0) return r.status ?? 1;
  }
  return 0;
}
