// Runs the `torchtrain` command (lib/cli/main.ts through tsx) in a child process, as a user's
// shell would, collecting its output and exit status.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.join(HERE, '../..');
export const CLI = path.join(ROOT, 'lib/cli/main.ts');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  /** Called once the child runs, e.g. to watch its run folder and kill it at the right moment. */
  onStart?: (child: ChildProcess) => void;
}

export function runCli(args: string[], o: CliOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', CLI, ...args], {
    cwd: o.cwd ?? ROOT,
    env: { ...process.env, NODE_OPTIONS: '', TORCHTRAIN_DEBUG: '', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
  child.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString('utf8')).slice(-50_000); });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, o.timeoutMs ?? 120_000);
  o.onStart?.(child);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** A failure message with how the child ended and what it printed last. */
export function explain(r: CliResult, what: string): string {
  const how = r.timedOut ? 'ran past its time limit' : r.signal ? `died by ${r.signal}` : `exited with ${r.code}`;
  return `${what}: the CLI ${how}\n--- stdout (tail)\n${r.stdout.slice(-3000)}\n--- stderr (tail)\n${r.stderr.slice(-3000)}`;
}
