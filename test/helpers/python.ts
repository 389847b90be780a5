// The parity tests' link to Python PyTorch: one long-lived Python process per test file
// (test/helpers/torch_server.py) that runs snippets on tensors we send and returns the result.
// The reference Python is the one the addon was built against (its build-info record), so
// both sides run the very same libtorch .so files. In CI (CI=true or
// TORCHTRAIN_REQUIRE_PARITY=1) a missing reference fails the file; locally it skips loudly.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildInfo } from '../../lib/core/addon.js';
import { type AnyTypedArray, type DType, viewBytes } from '../../lib/core/dtype.js';
import { torch, Tensor } from '../../lib/index.js';

export const parityRequired = process.env.CI === 'true' || process.env.TORCHTRAIN_REQUIRE_PARITY === '1';

export interface PyTensor {
  dtype: DType;
  shape: number[];
  data: AnyTypedArray;
}

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_server.py');

export function referencePython(): string | null {
  return process.env.TORCHTRAIN_PYTHON || buildInfo?.referencePython || null;
}

function toWire(value: unknown): unknown {
  if (value instanceof Tensor) {
    const data = value.data();
    return {
      __tensor__: true,
      dtype: value.dtype,
      shape: value.shape,
      requires_grad: value.requiresGrad,
      data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
    };
  }
  if (Array.isArray(value)) return value.map(toWire);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]));
  return value;
}

function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.__tensor__) {
      const bytes = Buffer.from(o.data as string, 'base64');
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      return { dtype: o.dtype as DType, shape: o.shape as number[], data: viewBytes(o.dtype as DType, buffer) } satisfies PyTensor;
    }
    if (o.__nan__) return NaN;
    if (o.__inf__) return (o.__inf__ as number) * Infinity;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fromWire(v)]));
  }
  return value;
}

export class TorchPython {
  private nextId = 0;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private child: ChildProcessWithoutNullStreams, readonly version: string) {}

  /** Starts the reference Python, or returns null (after a loud warning) when there is none. */
  static async start(): Promise<TorchPython | null> {
    const python = referencePython();
    const missing = !python ? 'no reference Python is recorded for this build' : python.includes('/') && !existsSync(python) ? `${python} does not exist` : null;
    if (missing) return TorchPython.unavailable(missing);
    const child = spawn(python!, [SERVER], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    const lines = createInterface({ input: child.stdout });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const first = await new Promise<string | null>((resolve) => {
      lines.once('line', resolve);
      child.once('exit', () => resolve(null));
      child.once('error', () => resolve(null));
    });
    if (!first) return TorchPython.unavailable(`${python} could not start the torch server: ${stderr.trim().split('\n').pop()}`);
    const hello = JSON.parse(first) as { version: string };
    const session = new TorchPython(child, hello.version);
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { id: number; out?: unknown; error?: string };
      const waiter = session.pending.get(msg.id);
      if (!waiter) return;
      session.pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(`Python raised:\n${msg.error}`));
      else waiter.resolve(fromWire(msg.out));
    });
    child.on('exit', () => {
      for (const w of session.pending.values()) w.reject(new Error(`the reference Python exited: ${stderr}`));
      session.pending.clear();
    });
    return session;
  }

  private static unavailable(why: string): null {
    const message = `PARITY TESTS NOT RUN: ${why}. Build against a Python torch (bash scripts/setup.sh) or set TORCHTRAIN_PYTHON.`;
    if (parityRequired) throw new Error(message + ' (parity is required here: CI=true or TORCHTRAIN_REQUIRE_PARITY=1)');
    console.warn('\n' + '!'.repeat(100) + '\n' + message + '\n' + '!'.repeat(100) + '\n');
    return null;
  }

  /** Runs code with inputs bound to names; resolves to whatever the code assigned to `out`. */
  run<T = unknown>(code: string, inputs: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    const request = JSON.stringify({ id, code, inputs: toWire(inputs), threads: torch.getNumThreads() });
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin.write(request + '\n');
    });
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/** Compares our tensor with Python's: dtype, shape, then values (exact unless tolerances are given). */
export function compareTensors(ours: Tensor, theirs: PyTensor, tol: { rtol?: number; atol?: number } = {}): string | null {
  if (ours.dtype !== theirs.dtype) return `dtype ${ours.dtype} vs PyTorch's ${theirs.dtype}`;
  const shape = ours.shape;
  if (shape.join(',') !== theirs.shape.join(',')) return `shape [${shape}] vs PyTorch's [${theirs.shape}]`;
  const a = ours.data(), b = theirs.data;
  const rtol = tol.rtol ?? 0, atol = tol.atol ?? 0;
  let worst = 0, worstAt = -1;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]), y = Number(b[i]);
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (!(excess <= 0) && (worstAt < 0 || excess > worst || Number.isNaN(excess))) {
      worst = excess;
      worstAt = i;
    }
  }
  if (worstAt >= 0) return `element ${worstAt}: ${a[worstAt]} vs PyTorch's ${b[worstAt]} (rtol ${rtol}, atol ${atol})`;
  return null;
}
