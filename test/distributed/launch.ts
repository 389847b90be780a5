// Starts a job of N rank processes on loopback the way torchrun does (MASTER_ADDR, MASTER_PORT,
// RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE), and collects each one's exit and output.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.join(HERE, '../..');
export const script = (name: string) => path.join(HERE, 'scripts', name);

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RankResult {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The harness killed it after `timeoutMs`: it hung. */
  killed: boolean;
  ms: number;
}

export interface JobOptions {
  worldSize: number;
  /** The command of every rank: [executable, ...args]. */
  command: (rank: number) => string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** The command that runs a TypeScript file with tsx under this Node. */
export const tsxCommand = (file: string, ...args: string[]) => [process.execPath, '--no-warnings', '--import', 'tsx', file, ...args];

export async function runJob(o: JobOptions): Promise<RankResult[]> {
  const port = await freePort();
  const ranks = Array.from({ length: o.worldSize }, (_, rank) => runRank(rank, port, o));
  return Promise.all(ranks);
}

function runRank(rank: number, port: number, o: JobOptions): Promise<RankResult> {
  const started = Date.now();
  const [exe, ...args] = o.command(rank);
  const child = spawn(exe, args, {
    cwd: ROOT,
    env: {
      ...process.env, NODE_OPTIONS: '', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), RANK: String(rank),
      WORLD_SIZE: String(o.worldSize), LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: String(o.worldSize), ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout = (stdout + d.toString('utf8')).slice(-50_000)));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-50_000)));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, o.timeoutMs ?? 180_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ rank, code, signal, stdout, stderr, killed, ms: Date.now() - started });
    });
  });
}

/** A job's failures as text for an assertion message. */
export function describeFailures(results: RankResult[]): string {
  return results.filter((r) => r.code !== 0).map((r) =>
    `rank ${r.rank}: exit ${r.code} ${r.signal ?? ''}${r.killed ? ' (killed: hung)' : ''}\n${r.stderr.slice(-3000)}`).join('\n---\n');
}
