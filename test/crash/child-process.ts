// Runs a crash-suite scenario (a script in test/crash/scenarios) in a child process, so that a
// crash shows up as the child's death by a signal instead of taking the test runner down.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.join(HERE, '../..');
export const scenario = (name: string) => path.join(HERE, 'scenarios', name);

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the suite killed it for running past its time limit. */
  timedOut: boolean;
  ms: number;
}

export interface ChildOptions {
  args?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Called with the child and each line it prints, e.g. to send it a signal at the right moment. */
  onLine?: (line: string, child: ChildProcess) => void;
}

export function runScenario(script: string, o: ChildOptions = {}): Promise<ChildResult> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', script, ...(o.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stdout += text;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) o.onLine?.(line, child);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-20_000);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, o.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - started });
    });
  });
}

/** A failure message that says how the child ended and shows what it printed last. */
export function explain(r: ChildResult, what: string): string {
  const how = r.timedOut ? 'ran past its time limit and was killed' : r.signal ? `DIED BY SIGNAL ${r.signal}` : `exited with code ${r.code}`;
  return `${what}: the child ${how} after ${r.ms} ms\n--- stdout (tail)\n${r.stdout.slice(-3000)}\n--- stderr (tail)\n${r.stderr.slice(-3000)}`;
}
