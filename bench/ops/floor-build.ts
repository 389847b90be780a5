// Compiles bench/ops/floor.cpp against the libtorch the addon was built with, and caches the
// binary under .bench/ keyed by a hash of everything that affects it (source, libtorch dirs,
// flags, compiler), so the compile (10-60 s) only happens when one of those changes.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT, type BuildRecord } from './spec.js';

const SOURCE = path.join(ROOT, 'bench', 'ops', 'floor.cpp');
const CACHE_DIR = path.join(ROOT, '.bench');

/** The g++ command line; it mirrors CMakeLists.txt's choices so the floor sees the same headers the same way. */
function compileArgs(rec: BuildRecord, out: string): string[] {
  const { libtorch } = rec;
  // libtorch 2.x headers need C++20 (as scripts/build-native.mjs decides), 1.x ones C++17.
  const std = Number(String(libtorch.version).split('.')[0]) >= 2 ? 'c++20' : 'c++17';
  return [
    `-std=${std}`,
    '-O2',
    `-D_GLIBCXX_USE_CXX11_ABI=${libtorch.cxx11abi ? 1 : 0}`,
    // libtorch's headers are not warning-clean; their warnings would bury a real compile error.
    '-w',
    ...libtorch.includeDirs.map((d) => `-I${d}`),
    SOURCE,
    '-o',
    out,
    `-L${libtorch.libDir}`,
    `-Wl,-rpath,${libtorch.libDir}`,
    '-ltorch',
    '-ltorch_cpu',
    '-lc10',
  ];
}

function compilerVersion(): string {
  const r = spawnSync('g++', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error('bench:ops needs g++ on PATH to build the C++ floor (apt-get install g++)');
  return r.stdout.split('\n')[0];
}

/**
 * Returns the path of a floor binary matching the current source and libtorch, compiling it
 * first if needed. `log` gets progress lines (compiling takes long enough to look hung).
 */
export async function ensureFloor(rec: BuildRecord, rebuild: boolean, log: (line: string) => void): Promise<string> {
  if (!existsSync(rec.libtorch.libDir)) {
    throw new Error(`the build record's libtorch dir ${rec.libtorch.libDir} does not exist; rebuild the addon (npm run build:native)`);
  }
  const placeholder = '<out>';
  const key = createHash('sha256')
    .update(readFileSync(SOURCE))
    .update('\0' + rec.libtorch.libDir + '\0' + compileArgs(rec, placeholder).join(' ') + '\0' + compilerVersion())
    .digest('hex')
    .slice(0, 16);
  const binary = path.join(CACHE_DIR, `floor-${key}`);
  if (existsSync(binary) && !rebuild) {
    log(`using cached C++ floor ${path.relative(ROOT, binary)}`);
    return binary;
  }

  mkdirSync(CACHE_DIR, { recursive: true });
  // Compile to a temporary name and rename, so an interrupted compile never leaves a binary
  // under the cache key.
  const tmp = `${binary}.tmp-${process.pid}`;
  const args = compileArgs(rec, tmp);
  log(`compiling C++ floor against ${rec.libtorch.libDir} (10-60 s depending on the machine; cached afterwards)`);
  log(`g++ ${args.join(' ')}`);
  const started = Date.now();
  const ticker = setInterval(() => log(`  still compiling... ${Math.round((Date.now() - started) / 1000)} s`), 10_000);
  try {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn('g++', args, { stdio: ['ignore', 'inherit', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stderr: err }));
    });
    if (code !== 0) {
      rmSync(tmp, { force: true });
      throw new Error(`compiling bench/ops/floor.cpp failed (exit ${code}):\n${stderr.slice(0, 4000)}`);
    }
  } finally {
    clearInterval(ticker);
  }
  renameSync(tmp, binary);
  // Binaries for older sources or other libtorch dirs are dead weight once replaced.
  for (const f of readdirSync(CACHE_DIR)) {
    if (f.startsWith('floor-') && path.join(CACHE_DIR, f) !== binary && !f.includes('.tmp-')) rmSync(path.join(CACHE_DIR, f), { force: true });
  }
  log(`compiled in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${path.relative(ROOT, binary)}`);
  return binary;
}
