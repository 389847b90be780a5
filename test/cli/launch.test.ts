// `torchtrain launch`: argument splitting, finding torchrun, and real jobs under the PyPI wheel's
// torchrun (a 2-rank all-reduce; exit codes and SIGTERM passed through).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildInfo } from '../../lib/core/addon.js';
import { LAUNCH_HELP, findTorchrun, parseLaunchArgs, scriptCommand, torchrunCommand } from '../../lib/cli/launch.js';
import { UsageError } from '../../lib/cli/errors.js';
import { parityRequired } from '../helpers/python.js';
import { freePort } from '../distributed/launch.js';
import { ROOT, explain, runCli } from './cli-process.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tt-launch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const rankScript = path.join(ROOT, 'test/distributed/scripts/torchrun-rank.ts');

describe('launch arguments', () => {
  it('splits torchrun flags, the script and the script\'s own arguments', () => {
    expect(parseLaunchArgs(['--nproc-per-node', '2', '--rdzv-endpoint=10.0.0.1:29400', '--standalone', 'train.ts', '--lr', '1e-3', '--help']))
      .toEqual({ torchrunFlags: ['--nproc-per-node', '2', '--rdzv-endpoint=10.0.0.1:29400', '--standalone'], script: 'train.ts', scriptArgs: ['--lr', '1e-3', '--help'] });
    expect(parseLaunchArgs(['--nnodes', '1:4', '--max_restarts', '3', '--', '-weird.ts'])).toEqual({
      torchrunFlags: ['--nnodes', '1:4', '--max_restarts', '3'], script: '-weird.ts', scriptArgs: [] });
    expect(parseLaunchArgs(['--some-future-flag=x', 'a.js'])?.torchrunFlags).toEqual(['--some-future-flag=x']);
  });

  it('answers --help before the script', () => {
    expect(parseLaunchArgs(['--nproc-per-node', '2', '--help'])).toBeNull();
    expect(LAUNCH_HELP).toContain('Examples:');
    expect(LAUNCH_HELP).toContain('--rdzv-endpoint 10.0.0.1:29400');
  });

  it.each([
    [[], /no training script given/],
    [['--nproc-pre-node', '2', 'a.ts'], /unknown torchrun flag --nproc-pre-node \(did you mean --nproc-per-node\?\)/],
    [['--nproc-per-node', 'two', 'a.ts'], /--nproc-per-node expects a positive whole number.*"two"/],
    [['--nnodes=0', 'a.ts'], /--nnodes expects/],
    [['--rdzv-endpoint', 'host:1:2', 'a.ts'], /--rdzv-endpoint expects host or host:port/],
    [['--max-restarts'], /--max-restarts needs a value/],
    [['--no-python', 'a.ts'], /--no-python is set by torchtrain itself/],
    [['-m', 'pkg'], /-m is set by torchtrain itself/],
  ])('refuses %j with a usage error', (args, message) => {
    expect(() => parseLaunchArgs(args)).toThrow(UsageError);
    expect(() => parseLaunchArgs(args)).toThrow(message);
  });

  it('runs .ts through tsx and .js with node, and names a missing script', () => {
    const js = path.join(tmp, 'plain.mjs');
    writeFileSync(js, '');
    expect(scriptCommand(js)).toEqual([process.execPath, js]);
    const ts = path.join(tmp, 'train.ts');
    writeFileSync(ts, '');
    const command = scriptCommand(ts, ROOT);
    expect(command[0]).toBe(process.execPath);
    expect(command.slice(1, 2)).toEqual(['--import']);
    expect(command.at(-1)).toBe(ts);
    expect(() => scriptCommand(path.join(tmp, 'nope.ts'))).toThrow(/nope\.ts does not exist/);
    expect(torchrunCommand('/x/torchrun', { torchrunFlags: ['--nproc-per-node', '2'], script: js, scriptArgs: ['--a'] }))
      .toEqual(['/x/torchrun', '--nproc-per-node', '2', '--no-python', process.execPath, js, '--a']);
  });
});

describe('finding torchrun', () => {
  const fake = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'torchrun');
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o755);
    return file;
  };

  it('takes TORCHTRAIN_TORCHRUN, then TORCHTRAIN_PYTHON\'s folder, then the project\'s .venv, then PATH', () => {
    const explicit = fake(path.join(tmp, 'explicit'));
    const pythonDir = fake(path.join(tmp, 'py/bin'));
    const project = path.join(tmp, 'project');
    const venv = fake(path.join(project, '.venv/bin'));
    const onPath = fake(path.join(tmp, 'path'));
    const base = { PATH: path.join(tmp, 'path') };
    expect(findTorchrun({ ...base, TORCHTRAIN_TORCHRUN: explicit, TORCHTRAIN_PYTHON: path.join(tmp, 'py/bin/python') }, project).found).toBe(explicit);
    expect(findTorchrun({ ...base, TORCHTRAIN_PYTHON: path.join(tmp, 'py/bin/python') }, project).found).toBe(pythonDir);
    expect(findTorchrun(base, path.join(project, 'sub')).found).toBe(venv);
    const fromPath = findTorchrun(base, tmp);
    // This checkout's own .venv comes before PATH (a repository clone); outside one PATH's is used.
    expect([onPath, path.join(ROOT, '.venv/bin/torchrun')]).toContain(fromPath.found);
    expect(fromPath.looked).toContain(onPath);
  });

  it('says how to install torchrun when there is none (exit 1)', async () => {
    const r = await runCli(['launch', '--nproc-per-node', '2', rankScript], { env: { TORCHTRAIN_TORCHRUN: path.join(tmp, 'missing/torchrun') } });
    expect(r.code, explain(r, 'launch without torchrun')).toBe(1);
    expect(r.stderr).toContain('torchrun (PyTorch\'s launcher) was not found');
    expect(r.stderr).toContain('missing/torchrun (TORCHTRAIN_TORCHRUN)');
    expect(r.stderr).toContain('.venv/bin/pip install torch');
  });

  it('prints its help with examples (exit 0) and refuses a bad flag (exit 2)', async () => {
    const help = await runCli(['launch', '--help']);
    expect(help.code, explain(help, 'launch --help')).toBe(0);
    expect(help.stdout).toContain('torchtrain launch --nproc-per-node 2 train.ts');
    const bad = await runCli(['launch', '--nprocs', '2', rankScript]);
    expect(bad.code, explain(bad, 'launch --nprocs')).toBe(2);
    expect(bad.stderr).toContain('unknown torchrun flag --nprocs');
  });
});

// The real torchrun: the PyPI wheel's (Debian's 1.13 cannot start workers under Python 3.11).
const torchrun = findTorchrun().found;
const usable = torchrun !== null && !(buildInfo?.libtorch.version.startsWith('1.') ?? false);
if (!usable) {
  if (parityRequired) throw new Error('torchrun was not found (CI=true): bash scripts/setup.sh installs PyTorch from PyPI into .venv');
  console.warn('\nLAUNCH JOBS NOT RUN: no usable torchrun (the PyPI wheel\'s) was found\n');
}

describe.skipIf(!usable)('launch under the real torchrun', () => {
  it('runs a 2-rank all-reduce script: torchtrain launch --nproc-per-node 2 script', async () => {
    const out = mkdtempSync(path.join(tmp, 'job-'));
    const r = await runCli(['launch', '--nproc-per-node', '2', '--master-addr', '127.0.0.1', '--master-port', String(await freePort()), rankScript, out], { timeoutMs: 240_000 });
    expect(r.code, explain(r, 'launch of a 2-rank job')).toBe(0);
    for (const rank of [0, 1]) {
      const result = JSON.parse(readFileSync(path.join(out, `rank-${rank}.json`), 'utf8'));
      expect(result).toEqual({ rank, worldSize: 2, localRank: rank, agentStore: true, sum: [3, 3, 3], gathered: [0, 1] });
    }
  }, 300_000);

  it('passes a failing job\'s exit code through', async () => {
    const failing = path.join(tmp, 'fail.mjs');
    writeFileSync(failing, 'process.exit(3);\n');
    const r = await runCli(['launch', '--standalone', '--nproc-per-node', '1', failing], { timeoutMs: 120_000 });
    expect(r.code, explain(r, 'launch of a failing script')).toBe(1); // torchrun's code for a failed worker
    expect(r.stderr).toMatch(/exitcode\s*:\s*3/);
  }, 180_000);

  it('forwards SIGTERM: torchrun stops the workers and launch exits with 143', async () => {
    const dir = mkdtempSync(path.join(tmp, 'sig-'));
    const sleeper = path.join(dir, 'sleep.mjs');
    writeFileSync(sleeper, `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(dir)} + '/pid-' + process.env.RANK, String(process.pid));
setInterval(() => {}, 1000);
`);
    const pids = () => [0, 1].map((rank) => path.join(dir, `pid-${rank}`)).filter(existsSync).map((f) => Number(readFileSync(f, 'utf8')));
    const r = await runCli(['launch', '--standalone', '--nproc-per-node', '2', sleeper], {
      timeoutMs: 120_000,
      onStart: (child) => {
        const poll = setInterval(() => {
          if (pids().length === 2) {
            clearInterval(poll);
            child.kill('SIGTERM');
          }
        }, 100);
      },
    });
    expect(r.code, explain(r, 'launch stopped by SIGTERM')).toBe(143);
    const alive = pids().filter((pid) => { try { process.kill(pid, 0); return true; } catch { return false; } });
    expect(alive, 'workers still running after torchrun stopped').toEqual([]);
  }, 180_000);
});
