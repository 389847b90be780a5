// `torchtrain doctor` as a child process (the way the CLI runs it): a healthy report with every
// check, and a useful one when the addon cannot load (it must not crash: that is its job).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInfo, packageRoot } from '../../lib/core/addon.js';
import type { DoctorReport } from '../../lib/cli/doctor.js';

const root = packageRoot();
const doctor = path.join(root, 'lib/cli/doctor.ts');

function runDoctor(args: string[], env: Record<string, string | undefined> = {}) {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  return spawnSync(process.execPath, ['--import', 'tsx', doctor, ...args], { cwd: root, env: merged, encoding: 'utf8' });
}

describe('torchtrain doctor', () => {
  it('reports every check of a healthy installation and exits 0', () => {
    const result = runDoctor(['--json']);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report.healthy).toBe(true);
    const checks = new Set(report.findings.map((f) => f.check));
    for (const check of ['Node.js', 'N-API', 'platform', 'libtorch', 'addon', 'GPUs', 'load', 'CUDA', 'BLAS', 'threads']) expect(checks).toContain(check);
    expect(report.addon.kind).toBe(process.env.TORCHTRAIN_BUILD_DIR || !buildInfo?.prebuild ? 'built' : 'prebuilt');
    expect(report.libtorch?.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(report.findings.find((f) => f.check === 'load')!.detail).toMatch(/loaded and computes/);
  });

  it('prints a readable report', () => {
    const result = runDoctor([]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/\[ok {2}\] Node\.js/);
    expect(result.stdout).toMatch(/\[ok {2}\] threads +\d+ intra-op/);
    expect(result.stdout).toContain('torchtrain is ready.');
  });

  it('diagnoses an addon that does not load, with the fix, and exits 1', () => {
    const result = runDoctor(['--json'], { TORCHTRAIN_BUILD_DIR: 'no-such-build-folder' });
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report.healthy).toBe(false);
    const addon = report.findings.find((f) => f.check === 'addon')!;
    expect(addon.status).toBe('problem');
    expect(addon.detail).toContain('no-such-build-folder');
    expect(addon.fix).toMatch(/npm run build:native/);
    const load = report.findings.find((f) => f.check === 'load')!;
    expect(load.status).toBe('problem');
    expect(load.fix).toBeTruthy();
  });

  it('says how to get a libtorch when none is found', () => {
    const result = runDoctor(['--json'], { TORCHTRAIN_TARGET: 'libtorch', LIBTORCH: undefined });
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as DoctorReport;
    const lib = report.findings.find((f) => f.check === 'libtorch')!;
    expect(lib.status).toBe('problem');
    expect(lib.detail).toContain('LIBTORCH is not set');
    expect(lib.fix).toMatch(/python3 -m venv \.venv && \.venv\/bin\/pip install torch==\d+\.\d+\.\d+/);
  });
});
