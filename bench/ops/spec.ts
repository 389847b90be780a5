// What `npm run bench:ops` measures and how, shared by the orchestrator (run.ts) and the
// torchtrain side. The Python and C++ sides are told each pass ("name iters") by run.ts, so all
// three run one repeat scheme.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHAIN_LENGTH = 100; // tiny ops per chain; ops.py and floor.cpp use the same constant

export interface OpSpec {
  key: string;
  /** Iterations per pass; each side runs one warm-up pass, then the timed repeats. */
  iters: number;
  /**
   * Iterations per torch.scope on the torchtrain side. Tiny ops free 1000 results at a time
   * (the idiomatic hot loop); matmul results are 16 KB each, so fewer per scope keeps the
   * working set close to Python's, which frees each result at once; an MLP step holds its
   * whole graph, so it gets one scope per step as a training loop would.
   */
  scopeEvery: number;
}

// Iteration counts aim at 10-50 ms per repeat per side so that timer and scheduler noise stays
// small next to the measurement while the whole run stays around a minute.
export const OPS: OpSpec[] = [
  { key: 'add', iters: 20000, scopeEvery: 1000 },
  { key: 'mul', iters: 20000, scopeEvery: 1000 },
  { key: 'relu', iters: 20000, scopeEvery: 1000 },
  { key: 'sum', iters: 20000, scopeEvery: 1000 },
  { key: 'matmul64', iters: 4000, scopeEvery: 100 },
  { key: 'chain100', iters: 200, scopeEvery: 10 },
  { key: 'mlp', iters: 100, scopeEvery: 1 },
];

/** Rows of the report: a measured key, and the divisor that turns per-iteration time into per-row time. */
export const ROWS: { label: string; key: string; divide: number; tiny: boolean }[] = [
  { label: 'add (1-elem f32)', key: 'add', divide: 1, tiny: true },
  { label: 'mul (1-elem f32)', key: 'mul', divide: 1, tiny: true },
  { label: 'relu (1-elem f32)', key: 'relu', divide: 1, tiny: true },
  { label: 'sum (1-elem f32)', key: 'sum', divide: 1, tiny: true },
  { label: `chain of ${CHAIN_LENGTH} add/mul, per op`, key: 'chain100', divide: CHAIN_LENGTH, tiny: true },
  { label: `chain of ${CHAIN_LENGTH} add/mul, per chain`, key: 'chain100', divide: 1, tiny: true },
  { label: 'matmul 64x64 f32', key: 'matmul64', divide: 1, tiny: false },
  { label: 'MLP 784-256-128-10 b32 fwd+bwd, per iter', key: 'mlp', divide: 1, tiny: false },
];

/** The first line each side sends: what it runs on. */
export interface SideHello {
  side: 'floor' | 'torchtrain' | 'pytorch';
  version: string;
  threads: number;
  libDir?: string;
}

/** A side's collected results: per-iteration microseconds of every timed pass, per op key. */
export interface SideResult extends SideHello {
  samples: Record<string, number[]>;
}

export interface Options {
  threads: number | undefined;
  repeats: number;
  scale: number;
  rebuild: boolean;
}

const USAGE = `usage: npm run bench:ops -- [--threads N] [--repeats R] [--scale F] [--rebuild]
  --threads N   intra-op threads on all three sides (default: torchtrain's getNumThreads())
  --repeats R   timed repeats per op and side; the median is reported (default 11)
  --scale F     multiply every iteration count by F, e.g. 0.1 for a quick smoke run (default 1)
  --rebuild     recompile the C++ floor even if a cached binary matches`;

export function parseArgs(argv: string[]): Options {
  const opts: Options = { threads: undefined, repeats: 11, scale: 1, rebuild: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    const value = (): number => {
      const raw = inline ?? argv[++i];
      const n = Number(raw);
      if (raw === undefined || !Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got ${raw}\n${USAGE}`);
      return n;
    };
    if (flag === '--threads') opts.threads = Math.floor(value());
    else if (flag === '--repeats') opts.repeats = Math.max(1, Math.floor(value()));
    else if (flag === '--scale') opts.scale = value();
    else if (flag === '--rebuild') opts.rebuild = true;
    else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return opts;
}

/** Iterations actually run for an op at a given scale (never zero). */
export function itersFor(op: OpSpec, scale: number): number {
  return Math.max(1, Math.round(op.iters * scale));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface BuildRecord {
  libtorch: { version: string; libDir: string; includeDirs: string[]; libraries: string[]; cxx11abi: boolean };
  referencePython: string | null;
}

/** The addon's build record: which libtorch it was compiled against and the Python that goes with it. */
export function readBuildRecord(): BuildRecord {
  const dir = process.env.TORCHTRAIN_BUILD_DIR ? path.resolve(ROOT, process.env.TORCHTRAIN_BUILD_DIR) : path.join(ROOT, 'build');
  const file = path.join(dir, 'Release', 'torchtrain-build-info.json');
  if (!existsSync(file)) throw new Error(`no build record at ${file}; build the addon first (npm run build:native)`);
  return JSON.parse(readFileSync(file, 'utf8')) as BuildRecord;
}
