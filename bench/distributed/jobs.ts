// Starts a job of N rank processes on loopback the way torchrun does (MASTER_ADDR, MASTER_PORT,
// RANK, WORLD_SIZE, LOCAL_RANK) and returns rank 0's last stdout line as JSON. The benchmark's
// ranks are plain processes, so torchtrain and Python start the same way.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

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

/** The command that runs a TypeScript file with tsx under this Node. */
export const tsxCommand = (file: string, ...args: string[]) => [process.execPath, '--no-warnings', '--import', 'tsx', file, ...args];

export async function runJob<T>(command: string[], ranks: number, env: Record<string, string> = {}): Promise<T> {
  const port = await freePort();
  const outputs = await Promise.all(Array.from({ length: ranks }, (_, rank) => new Promise<string>((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {
      env: { ...process.env, NODE_OPTIONS: '', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), RANK: String(rank),
        WORLD_SIZE: String(ranks), LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: String(ranks), ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command.join(' ')}: rank ${rank} of ${ranks} exited with ${code}`))));
  })));
  return JSON.parse(outputs[0].trim().split('\n').pop()!) as T;
}
