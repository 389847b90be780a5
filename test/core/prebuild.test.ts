// A prebuilt binary runs where libtorch lives somewhere other than on the build machine: the
// package is copied to a temporary folder with only prebuilds/ (no build/), the addon's RPATH is
// stripped and its record names a folder that does not exist, and it must still load (the loader
// finds this machine's libtorch and preloads it). Needs patchelf (CI installs it).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addonFile, buildInfo, packageRoot } from '../../lib/core/addon.js';

function hasPatchelf(): boolean {
  const found = spawnSync('patchelf', ['--version']).status === 0;
  if (!found) {
    const message = 'PREBUILD TEST NOT RUN: patchelf is missing (apt-get install patchelf)';
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n${'!'.repeat(80)}\n${message}\n${'!'.repeat(80)}\n`);
  }
  return found;
}

const root = packageRoot();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'torchtrain-prebuild-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function stagePackage(record: object): string {
  const pkg = path.join(tmp, `pkg-${Math.random().toString(36).slice(2)}`);
  mkdirSync(pkg);
  for (const item of ['package.json', 'lib', 'scripts']) cpSync(path.join(root, item), path.join(pkg, item), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'));
  const dir = path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(dir, { recursive: true });
  const node = path.join(dir, 'torchtrain.napi.glibc.node');
  cpSync(addonFile, node);
  execFileSync('patchelf', ['--remove-rpath', node]);
  writeFileSync(path.join(dir, 'torchtrain-build-info.json'), JSON.stringify(record));
  writeFileSync(path.join(pkg, 'check.ts'), "import { torch } from './lib/index.js';\nconsole.log(JSON.stringify({ sum: torch.ones([3]).sum().item(), dir: torch.info().libtorchDir }));\n");
  return pkg;
}

function run(pkg: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, TORCHTRAIN_BUILD_DIR: '' };
  delete env.TORCHTRAIN_BUILD_DIR;
  if (buildInfo!.libtorch.source === 'python') Object.assign(env, { TORCHTRAIN_PYTHON: buildInfo!.referencePython, TORCHTRAIN_TARGET: 'python' });
  else env.TORCHTRAIN_TARGET = buildInfo!.libtorch.source === 'system' ? 'system' : 'libtorch';
  return spawnSync(process.execPath, ['--import', 'tsx', 'check.ts'], { cwd: pkg, env, encoding: 'utf8' });
}

describe.skipIf(!hasPatchelf())('prebuilt binaries', () => {
  const moved = { ...buildInfo!, prebuild: true, libtorch: { ...buildInfo!.libtorch, libDir: '/nonexistent/libtorch/lib', root: '/nonexistent/libtorch' } };

  it('load where the builder\'s libtorch folder does not exist', () => {
    const result = run(stagePackage(moved));
    expect(result.stderr).not.toMatch(/Error/);
    const out = JSON.parse(result.stdout.trim().split('\n').pop()!);
    expect(out.sum).toBe(3);
    expect(out.dir).toBe(buildInfo!.libtorch.libDir);
  });

  it('refuse a libtorch of another release, saying how to fix it', () => {
    const result = run(stagePackage({ ...moved, libtorch: { ...moved.libtorch, version: '0.0.1' } }));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/built for libtorch 0\.0\.1/);
    expect(result.stderr).toMatch(/npm run build:native/);
  });

  it('are what npm run prebuild lays out', () => {
    const script = readFileSync(path.join(root, 'scripts/prebuild.mjs'), 'utf8');
    expect(script).toContain("'torchtrain.napi.glibc.node'");
  });
});
