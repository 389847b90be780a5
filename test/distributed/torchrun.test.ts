// The real launcher: torchrun from the PyPI wheel starts the ranks (--no-python), its elastic
// agent runs the TCPStore (TORCHELASTIC_USE_AGENT_STORE) and every rank connects as a client.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInfo } from '../../lib/core/addon.js';
import { parityRequired, referencePython } from '../helpers/python.js';
import { ROOT, freePort, script } from './launch.js';

const python = referencePython();
const torchrun = python ? path.join(path.dirname(python), 'torchrun') : null;
// Debian's torchrun 1.13 cannot start workers under Python 3.11 (its Std enum parsing returns None:
// "'NoneType' object has no attribute 'get'", whatever the flags); the PyPI torchrun is the launcher.
const brokenLauncher = buildInfo?.libtorch.version.startsWith('1.') ?? false;
if (brokenLauncher) console.warn('\nTORCHRUN TEST NOT RUN: Debian\'s torchrun 1.13 fails on Python 3.11; run it with the PyPI build\n');
const available = torchrun !== null && existsSync(torchrun) && !brokenLauncher;
if (!available && !brokenLauncher) {
  if (parityRequired) throw new Error(`torchrun not found next to the reference Python (${python})`);
  console.warn('\nTORCHRUN TEST NOT RUN: no torchrun next to the reference Python\n');
}

describe.skipIf(!available)('under torchrun --no-python', () => {
  it('runs a 2-rank job whose ranks see the agent store and reduce correctly', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'tt-torchrun-'));
    try {
      const port = await freePort();
      const run = spawnSync(torchrun!, ['--nproc_per_node', '2', '--master_addr', '127.0.0.1', '--master_port', String(port),
        '--no_python', process.execPath, '--no-warnings', '--import', 'tsx', script('torchrun-rank.ts'), out],
      { cwd: ROOT, encoding: 'utf8', timeout: 240_000, env: { ...process.env, NODE_OPTIONS: '' } });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      for (const rank of [0, 1]) {
        const r = JSON.parse(readFileSync(path.join(out, `rank-${rank}.json`), 'utf8'));
        expect(r).toEqual({ rank, worldSize: 2, localRank: rank, agentStore: true, sum: [3, 3, 3], gathered: [0, 1] });
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
