// `torchtrain launch`: a thin convenience over PyTorch's own launcher, not a launcher of our own.
// It finds the torchrun of the PyPI wheel and runs
//   torchrun <the same flags> --no-python <node> [--import tsx] <script> <script args>
// passing the exit code (and a signal, as 128+n) through. Everything distributed (rendezvous,
// restarts, multi-node) is torchrun's, so a torchtrain job runs wherever PyTorch jobs run.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { nearestName } from '../core/validation.js';
import { UsageError } from './errors.js';

/** torchrun's flags that take no value (torch 2.x); every other known flag takes one. */
const TORCHRUN_SWITCHES = new Set(['--standalone', '--virtual-local-rank', '--virtual_local_rank']);
/** Flags torchtrain sets itself: the script is always an executable (node) started by torchrun. */
const OWN_FLAGS = new Set(['--no-python', '--no_python', '-m', '--module', '--run-path', '--run_path']);
/** torchrun's value-taking flags (dash and underscore spellings are both accepted by torchrun). */
const TORCHRUN_OPTIONS = [
  'nnodes', 'nproc-per-node', 'rdzv-backend', 'rdzv-endpoint', 'rdzv-id', 'rdzv-conf', 'max-restarts',
  'monitor-interval', 'start-method', 'event-log-handler', 'role', 'log-dir', 'redirects', 'tee',
  'log-line-prefix-template', 'local-ranks-filter', 'duplicate-stdout-filters', 'duplicate-stderr-filters',
  'node-rank', 'master-addr', 'master-port', 'local-addr', 'logs-specs', 'numa-binding', 'signals-to-handle',
  'shutdown-timeout',
];
const VALUE_FLAGS = new Set(TORCHRUN_OPTIONS.flatMap((n) => [`--${n}`, `--${n.replaceAll('-', '_')}`]));
VALUE_FLAGS.add('-r');
VALUE_FLAGS.add('-t');

/** Values checked before torchrun sees them (clearer messages than its own); others pass as given. */
const VALUE_SCHEMAS: Record<string, { schema: z.ZodType; expected: string }> = {
  'nproc-per-node': { schema: z.union([z.enum(['auto', 'cpu', 'gpu', 'xpu']), z.string().regex(/^[1-9]\d*$/)]), expected: 'a positive whole number, or auto | cpu | gpu | xpu' },
  nnodes: { schema: z.string().regex(/^[1-9]\d*(:[1-9]\d*)?$/), expected: 'a positive whole number or a range min:max, e.g. 2 or 1:4' },
  'max-restarts': { schema: z.string().regex(/^\d+$/), expected: 'a whole number >= 0' },
  'node-rank': { schema: z.string().regex(/^\d+$/), expected: 'a whole number >= 0' },
  'master-port': { schema: z.string().regex(/^\d+$/).refine((v) => Number(v) < 65536), expected: 'a TCP port, 0-65535' },
  'rdzv-endpoint': { schema: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+)(:\d{1,5})?$/), expected: 'host or host:port, e.g. 10.0.0.1:29400' },
};

function checkValue(flag: string, value: string): void {
  const key = flag.replace(/^--/, '').replaceAll('_', '-');
  const rule = VALUE_SCHEMAS[key];
  if (rule && !rule.schema.safeParse(value).success) {
    throw new UsageError(`launch: ${flag} expects ${rule.expected}; given ${JSON.stringify(value)}`);
  }
}

export const LAUNCH_HELP = `Usage: torchtrain launch [torchrun flags] <script> [script args]

Runs a training script on several processes (and machines) under PyTorch's torchrun from the
PyPI wheel: \`torchrun <flags> --no-python node [--import tsx] <script> <args>\`. The flags are
torchrun's own (see \`torchrun --help\`); the script (.ts through tsx, .js/.mjs with node) calls
distributed.initProcessGroup(), which reads the environment torchrun sets.

Common flags:
  --nproc-per-node <n>       processes on this machine (one per GPU; on CPU, at most the cores)
  --nnodes <n|min:max>       machines in the job (run the same command on each)
  --rdzv-backend c10d        the rendezvous for several machines
  --rdzv-endpoint <host:port>  one machine's reachable address (it hosts the rendezvous)
  --rdzv-id <id>             the job's id, the same on every machine
  --max-restarts <n>         restart all processes up to n times when one fails (resume from a checkpoint)
  --local-addr <addr>        this machine's address as the others reach it

torchrun is TORCHTRAIN_TORCHRUN when set; otherwise the first found in the folder of
TORCHTRAIN_PYTHON, ./.venv/bin of this project (and the folders above it), then PATH.

Examples:
  $ torchtrain launch --nproc-per-node 2 train.ts
  $ torchtrain launch --nproc-per-node 2 --max-restarts 3 train.ts --epochs 5
  # two machines (run on each; 10.0.0.1 is the first one):
  $ torchtrain launch --nnodes 2 --nproc-per-node 8 --rdzv-backend c10d \\
      --rdzv-endpoint 10.0.0.1:29400 --rdzv-id job42 train.ts

Exit code: torchrun's (0 when every process succeeded); 128+n when stopped by signal n.
`;

export interface LaunchPlan {
  /** Flags for torchrun, as given. */
  torchrunFlags: string[];
  /** The training script, as given. */
  script: string;
  scriptArgs: string[];
}

/**
 * Splits `launch`'s arguments into torchrun's flags, the script and the script's own arguments
 * (everything after the script belongs to it, --help included). Returns null for --help.
 */
export function parseLaunchArgs(args: readonly string[]): LaunchPlan | null {
  const flags: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') { i++; break; }
    if (!arg.startsWith('-') || arg === '-') break;
    if (arg === '--help' || arg === '-h') return null;
    const name = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    if (OWN_FLAGS.has(name)) {
      throw new UsageError(`launch: ${name} is set by torchtrain itself (the script always runs as \`--no-python node <script>\`); remove it`);
    }
    if (TORCHRUN_SWITCHES.has(name)) { flags.push(arg); continue; }
    if (arg.includes('=')) { // --flag=value: passed as is, known or not
      checkValue(name, arg.slice(name.length + 1));
      flags.push(arg);
      continue;
    }
    if (!VALUE_FLAGS.has(name)) {
      const known = [...VALUE_FLAGS, ...TORCHRUN_SWITCHES].filter((f) => f.startsWith('--'));
      const near = nearestName(name, known);
      throw new UsageError(`launch: unknown torchrun flag ${name}${near ? ` (did you mean ${near}?)` : ''}; `
        + `a flag this version does not know passes through as ${name}=<value>`);
    }
    const value = args[i + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`launch: ${name} needs a value, e.g. ${name} ${example(name)}`);
    checkValue(name, value);
    flags.push(arg, value);
    i++;
  }
  const script = args[i];
  if (script === undefined) throw new UsageError('launch: no training script given, e.g. `torchtrain launch --nproc-per-node 2 train.ts`');
  return { torchrunFlags: flags, script, scriptArgs: args.slice(i + 1) };
}

function example(flag: string): string {
  if (flag.includes('endpoint')) return 'host:29400';
  if (flag.includes('backend')) return 'c10d';
  if (flag.includes('addr')) return '10.0.0.1';
  return '2';
}

/**
 * The project folders whose ./.venv/bin may hold torchrun: npm's INIT_CWD, the working directory
 * and the folders above it, then this package's own folder (a checkout), as scripts/find-libtorch.mjs.
 */
function projectFolders(cwd: string, env: NodeJS.ProcessEnv): string[] {
  const list: string[] = [];
  if (env.INIT_CWD) list.push(path.resolve(env.INIT_CWD));
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    list.push(dir);
    if (path.dirname(dir) === dir) break;
  }
  list.push(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'));
  return [...new Set(list)];
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Where torchrun was looked for, in order (for the error message), and the first that exists. */
export function findTorchrun(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): { found: string | null; looked: string[] } {
  if (env.TORCHTRAIN_TORCHRUN) { // explicit: that one or none
    const file = path.resolve(cwd, env.TORCHTRAIN_TORCHRUN);
    return { found: isExecutable(file) ? file : null, looked: [`${file} (TORCHTRAIN_TORCHRUN)`] };
  }
  const candidates: string[] = [];
  if (env.TORCHTRAIN_PYTHON) candidates.push(path.join(path.dirname(env.TORCHTRAIN_PYTHON), 'torchrun'));
  for (const dir of projectFolders(cwd, env)) candidates.push(path.join(dir, '.venv/bin/torchrun'));
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) candidates.push(path.join(dir, 'torchrun'));
  const looked = [...new Set(candidates)];
  return { found: looked.find(isExecutable) ?? null, looked };
}

export function torchrunMissingMessage(looked: readonly string[]): string {
  const shown = looked.slice(0, 6).map((l) => `  ${l}`).join('\n');
  return `launch: torchrun (PyTorch's launcher) was not found. Looked at:\n${shown}${looked.length > 6 ? `\n  ... and ${looked.length - 6} more on PATH` : ''}\n`
    + 'Fix: install PyTorch from PyPI into the project\'s venv:  python3 -m venv .venv && .venv/bin/pip install torch\n'
    + '     or point TORCHTRAIN_PYTHON at a python whose torch has torchrun (or TORCHTRAIN_TORCHRUN at torchrun itself).';
}

/** How node starts the script: TypeScript through tsx (from the project or from torchtrain's own). */
export function scriptCommand(script: string, cwd = process.cwd()): string[] {
  const file = path.resolve(cwd, script);
  if (!existsSync(file)) throw new UsageError(`launch: the training script ${file} does not exist`);
  if (!/\.[cm]?tsx?$/.test(file)) return [process.execPath, file];
  let tsx: string | null = null;
  try {
    createRequire(path.join(cwd, 'package.json')).resolve('tsx');
    tsx = 'tsx'; // node resolves --import from the working directory, as the check above did
  } catch {
    try {
      tsx = import.meta.resolve('tsx');
    } catch {
      tsx = null;
    }
  }
  if (!tsx) throw new UsageError(`launch: ${script} is TypeScript, which runs through tsx; install it (npm install --save-dev tsx) or launch the compiled .js`);
  return [process.execPath, '--import', tsx, file];
}

/** The full torchrun command line of a plan. */
export function torchrunCommand(torchrun: string, plan: LaunchPlan, cwd = process.cwd()): string[] {
  return [torchrun, ...plan.torchrunFlags, '--no-python', ...scriptCommand(plan.script, cwd), ...plan.scriptArgs];
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/** Runs torchrun in the foreground; resolves to the exit code to leave with. */
export function runTorchrun(command: readonly string[]): Promise<number> {
  const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
  let forwarded: NodeJS.Signals | null = null;
  // torchrun stops its workers on SIGINT/SIGTERM; a Ctrl-C reaches it from the terminal as well.
  const handlers = FORWARDED.map((signal) => {
    const handler = () => {
      forwarded = signal;
      child.kill(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const detach = () => { for (const [s, h] of handlers) process.off(s, h); };
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      detach();
      reject(new Error(`launch: could not start ${command[0]}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      detach();
      const bySignal = signal ?? (code !== 0 ? forwarded : null);
      resolve(bySignal ? 128 + (osConstants.signals[bySignal] ?? 0) : code ?? 1);
    });
  });
}

/** `torchtrain launch <args>`: the exit code. */
export async function launch(args: readonly string[]): Promise<number> {
  const plan = parseLaunchArgs(args);
  if (!plan) {
    process.stdout.write(LAUNCH_HELP);
    return 0;
  }
  const { found, looked } = findTorchrun();
  if (!found) throw new Error(torchrunMissingMessage(looked));
  return runTorchrun(torchrunCommand(found, plan));
}
