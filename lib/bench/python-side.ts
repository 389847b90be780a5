// The link to the PyTorch side: the reference Python (TORCHTRAIN_PYTHON, else the one the addon
// was built against, so both sides run the very same libtorch .so files) running the worker in
// python-worker-source.ts, one request at a time over stdin/stdout JSON lines.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { torch } from '../core/torch.js';
import { PYTHON_WORKER_SOURCE } from './python-worker-source.js';
import { openMpPolicyForPeers } from '../core/thread-defaults.js';

/** The Python whose torch is the reference, or null when none is known. */
export function referencePython(): string | null {
  return process.env.TORCHTRAIN_PYTHON || torch.info().referencePython || null;
}

/** Writes the worker script into the work folder and returns its path. */
export function writeWorkerScript(workDir: string): string {
  const file = path.join(workDir, 'pytorch_worker.py');
  writeFileSync(file, PYTHON_WORKER_SOURCE);
  return file;
}

export interface PythonInit { torch: string; threads: number; cuda: boolean; deviceName: string | null }

export class PythonWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: ((line: string | null) => void)[] = [];
  private stderr = '';
  private exited = false;

  private constructor(readonly python: string, readonly script: string) {
    this.child = spawn(python, ['-u', script], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...openMpPolicyForPeers() } });
    this.child.stderr.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.(line));
    const fail = () => { this.exited = true; for (const p of this.pending.splice(0)) p(null); };
    this.child.on('close', fail);
    this.child.on('error', (err) => { this.stderr += String(err.message); fail(); });
  }

  static async start(python: string, workDir: string, threads: number): Promise<{ worker: PythonWorker; init: PythonInit }> {
    const worker = new PythonWorker(python, writeWorkerScript(workDir));
    const init = await worker.request<PythonInit>({ op: 'init', threads });
    return { worker, init };
  }

  /** Sends one request; resolves to the reply, rejects with the Python error (and its stderr tail). */
  request<T = Record<string, unknown>>(message: Record<string, unknown>): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`the PyTorch side (${this.python}) has exited:\n${this.stderr}`));
    return new Promise<T>((resolve, reject) => {
      this.pending.push((line) => {
        if (line === null) return reject(new Error(`the PyTorch side (${this.python}) exited during '${String(message.op)}':\n${this.stderr.trim()}`));
        const reply = JSON.parse(line) as { ok: boolean; error?: string } & T;
        if (!reply.ok) reject(new Error(`PyTorch side, '${String(message.op)}' of ${String(message.kind ?? message.id ?? '')}: ${reply.error}`));
        else resolve(reply);
      });
      this.child.stdin.write(`${JSON.stringify(message)}\n`);
    });
  }

  close(): void {
    if (!this.exited) this.child.stdin.end();
  }
}
