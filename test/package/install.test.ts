// The install step's view of a consumer project: torchtrain sits in <app>/node_modules/torchtrain,
// npm hoisted cmake-js to <app>/node_modules, and the project's own .venv holds PyTorch. The
// scripts are run from a staged copy of the package there (no build, no npm install).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildInfo, packageRoot } from '../../lib/core/addon.js';
import { isInstalledPackage, pinnedTorchVersion, prebuildTag, rebuildHint } from '../../lib/core/addon-locator.js';

const root = packageRoot();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'torchtrain-install-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** <tmp>/app with node_modules/torchtrain/scripts (a copy) and node_modules/cmake-js (hoisted). */
function stageConsumer(): { app: string; pkg: string } {
  const app = path.join(tmp, `app-${Math.random().toString(36).slice(2)}`);
  const pkg = path.join(app, 'node_modules', 'torchtrain');
  mkdirSync(pkg, { recursive: true });
  for (const item of ['package.json', 'scripts']) cpSync(path.join(root, item), path.join(pkg, item), { recursive: true });
  // A copy, not a link: Node resolves a link to its real folder (the repository's).
  cpSync(path.join(root, 'node_modules', 'cmake-js'), path.join(app, 'node_modules', 'cmake-js'), { recursive: true });
  return { app, pkg };
}

function node(cwd: string, code: string, env: Record<string, string | undefined> = {}) {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd, env: merged, encoding: 'utf8' });
}

const venvPython = buildInfo?.libtorch.source === 'python' ? buildInfo.referencePython : null;

describe('the install step in a consumer project', () => {
  it('resolves cmake-js where npm hoisted it, not under torchtrain/node_modules', () => {
    const { app, pkg } = stageConsumer();
    const r = node(pkg, "const m = await import('./scripts/build-native.mjs'); console.log(m.cmakeJsBin());");
    expect(r.status, r.stderr).toBe(0);
    const bin = r.stdout.trim();
    expect(bin.startsWith(path.join(app, 'node_modules', 'cmake-js'))).toBe(true);
    expect(existsSync(bin)).toBe(true);
  });

  it.skipIf(!venvPython)('finds PyTorch in the consumer\'s own .venv (INIT_CWD, or the folders above)', () => {
    const { app, pkg } = stageConsumer();
    symlinkSync(path.dirname(path.dirname(venvPython!)), path.join(app, '.venv'));
    const code = "const m = await import('./scripts/find-libtorch.mjs'); console.log(JSON.stringify(m.findLibtorch()));";
    for (const env of [{ INIT_CWD: app }, { INIT_CWD: undefined }]) {
      const r = node(pkg, code, { ...env, TORCHTRAIN_PYTHON: undefined, TORCHTRAIN_TARGET: 'python', LIBTORCH: undefined });
      expect(r.status, r.stderr).toBe(0);
      const found = JSON.parse(r.stdout);
      expect(found.python).toBe(path.join(app, '.venv/bin/python'));
      expect(found.version).toBe(buildInfo!.libtorch.version);
    }
  });

  it('when no libtorch is found, prints the consumer\'s commands, not the repository\'s', () => {
    const { pkg } = stageConsumer();
    const r = spawnSync(process.execPath, ['scripts/install.mjs'], {
      cwd: pkg, encoding: 'utf8', env: { ...process.env, TORCHTRAIN_TARGET: 'libtorch', LIBTORCH: path.join(tmp, 'nothing-here') },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('torchtrain could not find libtorch');
    expect(r.stderr).toContain(`python3 -m venv .venv && .venv/bin/pip install torch==${pinnedTorchVersion()}`);
    expect(r.stderr).toContain('sudo apt-get install libtorch-dev');
    expect(r.stderr).toContain('npm rebuild torchtrain');
    expect(r.stderr).not.toContain('scripts/setup.sh');
  });
});

describe('prebuilt-binary tags and fixes', () => {
  it('name the release, the CUDA flavour and the C++ ABI', () => {
    expect(prebuildTag({ version: '2.15.0', cuda: true, cudaVersion: '13.2', cxx11abi: true })).toBe('libtorch-2.15.0-cu132-cxx11');
    expect(prebuildTag({ version: '1.13.0', cuda: false, cudaVersion: null, cxx11abi: true })).toBe('libtorch-1.13.0-cpu-cxx11');
    expect(prebuildTag({ version: '2.1.0', cuda: true, cxx11abi: false })).toBe('libtorch-2.1.0-cuda-precxx11');
  });

  it('the install script computes the same tag as the loader', () => {
    const cases = [{ version: '2.15.0', cuda: true, cudaVersion: '13.2', cxx11abi: true }, { version: '1.13.0', cuda: false, cxx11abi: false }];
    const r = node(root, `const m = await import('./scripts/find-libtorch.mjs'); console.log(JSON.stringify(${JSON.stringify(cases)}.map(m.prebuildTag)));`);
    expect(JSON.parse(r.stdout)).toEqual(cases.map(prebuildTag));
  });

  it('an installed package is told `npm rebuild torchtrain`, a clone `npm run build:native`', () => {
    expect(isInstalledPackage('/home/u/app/node_modules/torchtrain')).toBe(true);
    expect(isInstalledPackage(root)).toBe(false);
    expect(rebuildHint('/home/u/app/node_modules/torchtrain')).toMatch(/npm rebuild torchtrain.*pip install torch==/);
    expect(rebuildHint(root)).toMatch(/npm run build:native/);
  });
});
