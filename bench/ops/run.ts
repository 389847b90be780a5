// `npm run bench:ops`: per-op time of torchtrain next to PyTorch (Python) on the same libtorch
// and thread count, with a plain C++ loop over libtorch as the floor, in one run.
// Writes bench/results/ops.md and bench/results/ops.json. See spec.ts for the op list.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { torch } from '../../lib/index.js';
import { ensureFloor } from './floor-build.js';
import { buildRows, markdownReport, markdownTable, type RunMeta } from './report.js';
import { OPS, ROOT, itersFor, parseArgs, readBuildRecord, type SideHello, type SideResult } from './spec.js';
import { createTorchtrainSide } from './torchtrain-side.js';

const log = (line: string): void => console.log(`[bench:ops] ${line}`);

/**
 * An external side in serve mode: it answers one JSON line per "name iters" line on stdin,
 * after a first JSON line describing itself. Its stderr streams through untouched.
 */
class ServedSide {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffered = '';
  private readonly lines: string[] = [];
  private waiter: { resolve: (line: string) => void; reject: (err: Error) => void } | undefined;
  private exited: Error | undefined;

  constructor(readonly label: string, command: string, args: string[]) {
    log(`starting ${label}: ${command} ${args.join(' ')}`);
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => {
      this.buffered += d.toString();
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        this.lines.push(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
      }
      this.deliver();
    });
    this.child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    // A side that died makes writes fail with EPIPE; its exit is what gets reported.
    this.child.stdin.on('error', () => {});
    const fail = (err: Error): void => {
      this.exited = err;
      this.deliver();
    };
    this.child.on('error', (err) => fail(new Error(`${label}: cannot run ${command}: ${err.message}`)));
    this.child.on('exit', (code, signal) => fail(new Error(`${label} exited (${signal ?? `code ${code}`})`)));
  }

  private deliver(): void {
    if (!this.waiter) return;
    const w = this.waiter;
    if (this.lines.length) {
      this.waiter = undefined;
      w.resolve(this.lines.shift()!);
    } else if (this.exited) {
      this.waiter = undefined;
      w.reject(this.exited);
    }
  }

  private nextJson<T>(): Promise<T> {
    return new Promise<string>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.deliver();
    }).then((line) => {
      try {
        return JSON.parse(line) as T;
      } catch {
        throw new Error(`${this.label} printed something that is not a JSON line: ${line.slice(0, 500)}`);
      }
    });
  }

  hello(): Promise<SideHello> {
    return this.nextJson<SideHello>();
  }

  async pass(key: string, n: number): Promise<number> {
    this.child.stdin.write(`${key} ${n}\n`);
    return (await this.nextJson<{ us: number }>()).us;
  }

  close(): void {
    this.child.stdin.end();
  }
}

interface Side {
  name: string;
  hello: SideHello;
  pass(key: string, n: number): Promise<number> | number;
}

async function main(): Promise<void> {
  const started = Date.now();
  const opts = parseArgs(process.argv.slice(2));
  const rec = readBuildRecord();
  if (!rec.referencePython) throw new Error('the build record names no reference Python (libtorch did not come from a Python torch), so there is no PyTorch side to compare with');
  const threads = opts.threads ?? torch.getNumThreads();
  const cpus = os.cpus();
  log(`${threads} thread(s) on every side (${cpus.length} CPUs), ${opts.repeats} timed repeats per op, scale ${opts.scale}`);
  log(`ops: ${OPS.map((op) => `${op.key} x${itersFor(op, opts.scale)}`).join(', ')}`);
  if (threads > cpus.length) log(`WARNING: ${threads} threads on ${cpus.length} CPUs oversubscribes the machine; timings will be noisy`);

  const floorBin = await ensureFloor(rec, opts.rebuild, log);
  const loadBefore = os.loadavg()[0];
  const floorChild = new ServedSide('C++ floor', floorBin, ['--threads', String(threads), '--serve']);
  const pyChild = new ServedSide('PyTorch', rec.referencePython, [path.join(ROOT, 'bench', 'ops', 'ops.py'), '--threads', String(threads), '--serve']);
  const ttSide = createTorchtrainSide(threads);
  const samples = [0, 1, 2].map(() => ({}) as Record<string, number[]>);
  let sides: Side[] = [];
  // Closing the children's stdin ends them, also on errors (else they would keep node alive).
  try {
    sides = [
      { name: 'floor', hello: await floorChild.hello(), pass: (k, n) => floorChild.pass(k, n) },
      { name: 'torchtrain', hello: ttSide.hello, pass: (k, n) => ttSide.pass(k, n) },
      { name: 'PyTorch', hello: await pyChild.hello(), pass: (k, n) => pyChild.pass(k, n) },
    ];
    log(`sides ready: ${sides.map((s) => `${s.name} (libtorch ${s.hello.version}, ${s.hello.threads} threads)`).join(', ')}`);

    // Passes are interleaved, one side at a time, rotating which side goes first each repeat:
    // on a shared machine background load then drifts over all three sides alike instead of
    // landing on whichever side happened to run during it. Idle sides wait on stdin, no CPU.
    for (const op of OPS) {
      const n = itersFor(op, opts.scale);
      log(`${op.key}: ${n} iters per pass; warm-up pass on ${sides.map((s) => s.name).join(', ')}`);
      for (const side of sides) await side.pass(op.key, n);
      for (let r = 0; r < opts.repeats; r++) {
        const got: string[] = [];
        for (let j = 0; j < sides.length; j++) {
          const i = (r + j) % sides.length;
          const us = await sides[i].pass(op.key, n);
          (samples[i][op.key] ??= []).push(us);
          got.push(`${sides[i].name} ${us.toFixed(3)}`);
        }
        log(`${op.key}: repeat ${r + 1}/${opts.repeats}: ${got.join(' · ')} us/iter`);
      }
    }
  } finally {
    floorChild.close();
    pyChild.close();
  }
  const ttNote = ttSide.close();
  const [floor, tt, py]: SideResult[] = sides.map((s, i) => ({ ...s.hello, samples: samples[i] }));
  const loadAfter = os.loadavg()[0];

  // Things that would make the comparison unfair are reported next to the numbers.
  const notes: string[] = [];
  for (const side of [floor, tt, py]) {
    if (side.threads !== threads) notes.push(`the ${side.side} side ran with ${side.threads} threads, not ${threads}`);
  }
  const base = (v: string): string => v.split('+')[0];
  if (new Set([floor.version, tt.version, py.version].map(base)).size > 1) {
    notes.push(`libtorch versions differ: floor ${floor.version}, torchtrain ${tt.version}, PyTorch ${py.version}`);
  }
  if (py.libDir && path.resolve(py.libDir) !== path.resolve(rec.libtorch.libDir)) {
    // Two installs of one version are the same build when their biggest library matches byte
    // for byte in size; anything else deserves a louder note.
    const size = (dir: string): number => (existsSync(path.join(dir, 'libtorch_cpu.so')) ? statSync(path.join(dir, 'libtorch_cpu.so')).size : -1);
    const same = size(py.libDir) === size(rec.libtorch.libDir) && size(py.libDir) > 0;
    notes.push(`PyTorch loads libtorch from ${py.libDir}, the addon and the floor from ${rec.libtorch.libDir}` +
      (same ? ' (same version, libtorch_cpu.so of identical size: the same build installed twice)' : ' (libtorch_cpu.so differs in size: possibly different builds, compare with care)'));
  }
  if (ttNote) notes.push(`torchtrain: ${ttNote}`);
  // Load from other processes is the main source of noise on small machines; say so.
  if (Math.max(loadBefore, loadAfter) > cpus.length * 0.5) {
    notes.push(`the machine was busy (1-min load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, on ${cpus.length} CPUs); sides were interleaved to share the noise, but absolute times are inflated`);
  }

  const rows = buildRows(floor, tt, py);
  const meta: RunMeta = {
    generatedAt: new Date().toISOString(),
    threads,
    repeats: opts.repeats,
    scale: opts.scale,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown CPU',
    node: process.version,
    versions: { floor: floor.version, torchtrain: tt.version, pytorch: py.version },
    libDirs: { floorAndTorchtrain: rec.libtorch.libDir, pytorch: py.libDir },
    notes,
  };

  const outDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'ops.md'), markdownReport(rows, meta));
  writeFileSync(
    path.join(outDir, 'ops.json'),
    JSON.stringify({ ...meta, ops: OPS.map((op) => ({ ...op, iters: itersFor(op, opts.scale) })), rows, samples: { floor, torchtrain: tt, pytorch: py } }, null, 2) + '\n',
  );

  console.log('');
  console.log(markdownTable(rows));
  console.log('');
  for (const n of notes) console.log(`Note: ${n}`);
  const tiny = rows.filter((r) => r.tiny);
  const met = tiny.filter((r) => r.meetsTimeTarget).length;
  log(`tiny-op target (<=0.75x PyTorch): met on ${met} of ${tiny.length} tiny-op rows (reported, not asserted)`);
  log(`wrote bench/results/ops.md and bench/results/ops.json in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(`[bench:ops] ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
