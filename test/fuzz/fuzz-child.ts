// The fuzz itself, run in a child process by fuzz-runner.ts: calls random targets of the public
// API (api-surface.ts) with random arguments (random-values.ts, recipes.ts) until its time or
// call budget is spent. Before each call it writes the call (index, target, arguments) over a
// fixed-size record in its folder's `progress` file, so the parent can name the call that
// killed or hung it. Exceptions are expected; the process must survive everything.
// Options come from the environment (set by the runner): TORCHTRAIN_FUZZ_SEED, _SECONDS, _CALLS,
// _HANG_SECONDS, _ONLY (a regex over target names), _DIR (its sandbox folder), _VERBOSE,
// _MEMORY_MB. Exit codes: 0 done, 3 an async call hung, 4 an unhandled rejection, 5 an uncaught
// exception (from a timer or event the library set up).
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { Tensor, torch } from '../../lib/index.js';
import { apiTargets, nonPublicMembers, type Target } from './api-surface.js';
import { recipeArgs } from './recipes.js';
import { Rng, ValueMaker, describeValue } from './random-values.js';
import { prepareSandbox } from './sandbox.js';

const env = process.env;
const seed = Number(env.TORCHTRAIN_FUZZ_SEED ?? 1);
const seconds = Number(env.TORCHTRAIN_FUZZ_SECONDS ?? 20);
const maxCalls = Number(env.TORCHTRAIN_FUZZ_CALLS ?? 100_000);
const hangSeconds = Number(env.TORCHTRAIN_FUZZ_HANG_SECONDS ?? 15);
const only = env.TORCHTRAIN_FUZZ_ONLY ? new RegExp(env.TORCHTRAIN_FUZZ_ONLY) : null;
const dir = env.TORCHTRAIN_FUZZ_DIR!;
const verbose = env.TORCHTRAIN_FUZZ_VERBOSE === '1';
const memoryMb = Number(env.TORCHTRAIN_FUZZ_MEMORY_MB ?? 3072);
// The harness's own test: die by a signal, or spin, at this call index (api-fuzz.test.ts).
const selfTest = env.TORCHTRAIN_FUZZ_SELFTEST ? (JSON.parse(env.TORCHTRAIN_FUZZ_SELFTEST) as { at: number; kind: 'signal' | 'hang' }) : null;

// A data-size limit (RLIMIT_DATA: private writable memory) above what the process uses now:
// allocations of gigabytes then fail inside libtorch (an OutOfMemoryError, which is fine)
// instead of swapping a shared machine. (Not RLIMIT_AS: WebAssembly, which a DataLoader
// worker's loader uses, reserves gigabytes of address space it never touches.)
const dataKb = Number(/VmData:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
if (dataKb && memoryMb > 0) spawnSync('prlimit', [`--pid=${process.pid}`, `--data=${(dataKb + memoryMb * 1024) * 1024}`]);

const sandbox = prepareSandbox(dir);
process.chdir(dir);
torch.manualSeed(seed);
torch.setNumThreads(1);

const RECORD = 4096;
const progress = openSync('progress', 'w');
const record = Buffer.alloc(RECORD);
let current = '(before the first call)';
function note(line: string): void {
  current = line;
  record.fill(0x20);
  record.write(line.slice(0, RECORD - 1), 'utf8');
  record[RECORD - 1] = 0x0a;
  writeSync(progress, record, 0, RECORD, 0);
  if (verbose) process.stderr.write(`${line}\n`);
}

const problems: string[] = [];
process.on('unhandledRejection', (reason) => {
  problems.push(`unhandled rejection after ${current}: ${(reason as Error)?.stack ?? String(reason)}`);
});
process.on('uncaughtException', (err) => {
  problems.push(`uncaught exception after ${current}: ${err?.stack ?? String(err)}`);
  writeSummary();
  process.exit(5);
});

const rng = new Rng(seed);
const allTargets = apiTargets();
const apiClasses = new Set<unknown>(allTargets.filter((t) => t.kind === 'construct').map((t) => t.fn));
function isApiObject(o: object): boolean {
  for (let p = Object.getPrototypeOf(o); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) if (apiClasses.has(p.constructor)) return true;
  return false;
}
const values = new ValueMaker(rng, sandbox, isApiObject);
// The benchmark harness (bench.*) is not fuzzed: any call that gets past its option checks runs
// real workloads against a PyTorch process for minutes, by design. Its bad input is tested in
// test/bench.
const NOT_FUZZED = /^bench\./;
const targets = allTargets.filter((t) => !NOT_FUZZED.test(t.name) && (!only || only.test(t.name)));
const constructorOf = new Map<unknown, Target>();
for (const t of allTargets) if (t.kind === 'construct') constructorOf.set(t.fn, t);

/** An instance for a method target: a fresh tensor, one from the pool, or a new one from its recipe. */
function instanceFor(t: Target): unknown {
  if (rng.chance(0.03)) return values.value(); // a wrong `this`
  const cls = t.cls!;
  if (cls === Tensor) return values.tensor();
  const pooled = values.pool.filter((o) => o instanceof cls);
  if (pooled.length && rng.chance(0.85)) return rng.pick(pooled);
  const make = constructorOf.get(cls);
  if (!make) return pooled.length ? rng.pick(pooled) : undefined;
  try {
    const made = Reflect.construct(make.fn, recipeArgs(make.name, values) ?? values.args());
    values.keep(made);
    return made;
  } catch {
    return undefined;
  }
}

const hidden = nonPublicMembers();
const memberCache = new Map<object, (string | symbol)[]>();
/** A random method or accessor of an object the fuzz holds (iterators, results, modules, ...). */
function poolMember(): { self: object; key: string | symbol; d: PropertyDescriptor } | undefined {
  const self = values.fromPool() as object | undefined;
  if (!self) return undefined;
  const proto = Object.getPrototypeOf(self) as object | null;
  let keys = proto ? memberCache.get(proto) : undefined;
  if (!keys) {
    keys = [];
    for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      const owner = (p as { constructor?: { name?: string } }).constructor?.name;
      keys.push(...Reflect.ownKeys(p).filter((k) => k !== 'constructor' && !hidden.has(`${owner}#${String(k)}`)));
    }
    if (proto) memberCache.set(proto, keys);
  }
  const own = Object.keys(self).filter((k) => typeof (self as Record<string, unknown>)[k] === 'function');
  const all = [...keys, ...own];
  if (!all.length) return undefined;
  const key = rng.pick(all);
  for (let p: object | null = self; p; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, key);
    if (d) return { self, key, d };
  }
  return undefined;
}

function keepResult(result: unknown): void {
  if (Array.isArray(result)) {
    for (const item of result.slice(0, 4)) values.keep(item);
  } else if (result && typeof result === 'object') {
    values.keep(result);
    if (Object.getPrototypeOf(result) === Object.prototype) for (const item of Object.values(result).slice(0, 4)) values.keep(item);
  }
}

async function settle(result: unknown, what: string): Promise<unknown> {
  if (!result || typeof (result as { then?: unknown }).then !== 'function') return result;
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('hang'), { hang: true })), hangSeconds * 1000);
  });
  try {
    return await Promise.race([result as Promise<unknown>, hang]);
  } catch (err) {
    if ((err as { hang?: boolean }).hang) {
      note(`HANG: the promise of ${what} did not settle within ${hangSeconds} s`);
      writeSummary();
      process.exit(3);
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

const stats = { setupFailures: 0, calls: 0, returned: 0, threw: 0, errorKinds: {} as Record<string, number>, targets: targets.length, internal: {} as Record<string, number> };
function writeSummary(): void {
  writeFileSync('summary.json', JSON.stringify({ seed, ...stats, problems }, null, 1));
}

interface Call { self: unknown; fn: (...a: unknown[]) => unknown; name: string; args: unknown[]; construct: boolean; method?: boolean }

/** The next call: a listed target (with a recipe's arguments or random ones), or a method of a pooled object. */
function pickCall(): Call | undefined {
  const member = rng.chance(0.25) ? poolMember() : undefined;
  if (member) {
    const { d, key, self } = member;
    const owner = (self as object).constructor?.name ?? 'object';
    const k = typeof key === 'symbol' ? `[${key.description}]` : key;
    if (typeof d.value === 'function') return { self, fn: d.value, name: `(pool) ${owner}#${k}`, args: values.args(), construct: false, method: true };
    if (d.set && rng.chance(0.5)) return { self, fn: d.set, name: `(pool) set ${owner}#${k}`, args: [values.value()], construct: false, method: true };
    if (d.get) return { self, fn: d.get, name: `(pool) get ${owner}#${k}`, args: [], construct: false, method: true };
    return undefined;
  }
  const t = rng.pick(targets);
  const recipe = rng.chance(0.6) ? recipeArgs(t.name, values) : undefined;
  const args = t.kind === 'get' ? [] : t.kind === 'set' ? [values.value()] : recipe ?? values.args();
  if (t.kind === 'construct') return { self: undefined, fn: t.fn, name: t.name, args, construct: true };
  const self = t.cls ? instanceFor(t) : t.self;
  if (t.cls && self === undefined) return undefined;
  return { self, fn: t.fn, name: t.name, args, construct: false, method: t.cls !== undefined };
}

const deadline = Date.now() + seconds * 1000;
for (let i = 0; i < maxCalls && Date.now() < deadline; i++) {
  let call: Call | undefined;
  try {
    call = pickCall();
  } catch {
    // A recipe's own setup failed (e.g. the module it reused was disposed): no call this time.
    stats.setupFailures++;
  }
  if (!call) continue;
  const { self, fn, name, args, construct } = call;
  note(`${i}\t${name}\t${call.method ? `this=${describeValue(self)}\t` : ''}args=(${args.map((a) => describeValue(a)).join(', ')})`);
  stats.calls++;
  if (selfTest?.at === i) {
    if (selfTest.kind === 'signal') process.kill(process.pid, 'SIGSEGV');
    for (;;);
  }
  try {
    const result = construct ? Reflect.construct(fn, args) : Reflect.apply(fn, self, args);
    keepResult(await settle(result, name));
    stats.returned++;
  } catch (err) {
    stats.threw++;
    const kind = err instanceof Error ? err.constructor.name : `non-Error ${typeof err}`;
    stats.errorKinds[kind] = (stats.errorKinds[kind] ?? 0) + 1;
    // JS slips inside the library (a property of undefined read, a non-function called) are
    // reported in the summary: the call was refused, but not by a check that says why.
    const message = err instanceof Error ? err.message : '';
    if (err instanceof TypeError && /Cannot read properties of|is not a function|is not iterable|Cannot convert/.test(message)) {
      const key = `${name}: ${message.replace(/\d+/g, 'N').slice(0, 120)}`;
      stats.internal[key] = (stats.internal[key] ?? 0) + 1;
    }
  }
  // Global switches a random call may flip, put back so later calls stay fast and comparable.
  if (torch.getNumThreads() !== 1) torch.setNumThreads(1);
  if (!torch.isGradEnabled()) torch.setGradEnabled(true);
  if (name.includes('setDebugScopes')) torch.setDebugScopes(false);
  if (i % 500 === 499) (globalThis as { gc?: () => void }).gc?.();
  if (problems.length) break;
}
note(`DONE\t${stats.calls} calls`);
closeSync(progress);
writeSummary();
process.exit(problems.length ? 4 : 0);
