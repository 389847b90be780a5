// Prebuilt binaries (prebuilds/<platform>-<arch>/<tag>/torchtrain.node, tagged with the libtorch
// release, CUDA flavour and C++ ABI they need): the package is copied to a temporary folder
// with only prebuilds/ (no build/), the addon's RPATH stripped and its record naming a folder
// that does not exist. It must load on this machine's libtorch when the tag matches, refuse
// before any dlopen when none does, and the install step must pick it without a compiler, or
// say what to install. Needs patchelf (CI installs it).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addonFile, buildInfo, packageRoot } from '../../lib/core/addon.js';
import { prebuildTag } from '../../lib/core/addon-locator.js';

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

/** A copy of the package holding one prebuilt binary with this record; `installed` puts it under node_modules/. */
function stagePackage(record: { tag: string }, options: { installed?: boolean } = {}): string {
  const base = path.join(tmp, `p-${Math.random().toString(36).slice(2)}`);
  const pkg = options.installed ? path.join(base, 'node_modules', 'torchtrain') : base;
  mkdirSync(pkg, { recursive: true });
  for (const item of ['package.json', 'lib', 'scripts']) cpSync(path.join(root, item), path.join(pkg, item), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'));
  const dir = path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`, record.tag);
  mkdirSync(dir, { recursive: true });
  const node = path.join(dir, 'torchtrain.node');
  cpSync(addonFile, node);
  execFileSync('patchelf', ['--remove-rpath', node]);
  writeFileSync(path.join(dir, 'torchtrain-build-info.json'), JSON.stringify(record));
  writeFileSync(path.join(pkg, 'check.ts'), "import { torch } from './lib/index.js';\nconsole.log(JSON.stringify({ sum: torch.ones([3]).sum().item(), dir: torch.info().libtorchDir, addon: torch.info().addon }));\n");
  return pkg;
}

/** The environment that finds this machine's libtorch the way the build in use found it. */
function libtorchEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.TORCHTRAIN_BUILD_DIR;
  delete env.INIT_CWD;
  if (buildInfo!.libtorch.source === 'python') Object.assign(env, { TORCHTRAIN_PYTHON: buildInfo!.referencePython, TORCHTRAIN_TARGET: 'python' });
  else env.TORCHTRAIN_TARGET = buildInfo!.libtorch.source === 'system' ? 'system' : 'libtorch';
  return env;
}

function run(pkg: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'check.ts'], { cwd: pkg, env: libtorchEnv(), encoding: 'utf8' });
}

/** A PATH holding node alone: no cmake, no compiler, no make. */
function pathWithoutBuildTools(): string {
  const bin = path.join(tmp, 'node-only-bin');
  if (!existsSync(bin)) {
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, 'node'));
  }
  return bin;
}

function install(pkg: string) {
  return spawnSync(process.execPath, ['scripts/install.mjs'], { cwd: pkg, env: libtorchEnv({ PATH: pathWithoutBuildTools() }), encoding: 'utf8' });
}

describe.skipIf(!hasPatchelf())('prebuilt binaries', () => {
  const here = buildInfo!.libtorch;
  const tag = prebuildTag(here);
  const moved = { ...buildInfo!, prebuild: true, tag, libtorch: { ...here, libDir: '/nonexistent/libtorch/lib', root: '/nonexistent/libtorch' } };
  const otherTag = prebuildTag({ ...here, version: '0.0.1' });
  const other = { ...moved, tag: otherTag, libtorch: { ...moved.libtorch, version: '0.0.1' } };

  it('load where the builder\'s libtorch folder does not exist, when the tag matches', () => {
    const result = run(stagePackage(moved));
    expect(result.stderr).not.toMatch(/Error/);
    const out = JSON.parse(result.stdout.trim().split('\n').pop()!);
    expect(out.sum).toBe(3);
    expect(out.dir).toBe(here.libDir);
    expect(out.addon).toContain(path.join('prebuilds', `${process.platform}-${process.arch}`, tag));
  });

  it('are picked by the install step without a compiler on PATH, and then load', () => {
    const pkg = stagePackage(moved);
    const result = install(pkg);
    expect(result.stderr).toContain(`using the prebuilt addon prebuilds/${process.platform}-${process.arch}/${tag}`);
    expect(result.status).toBe(0);
    const selection = JSON.parse(readFileSync(path.join(pkg, 'build', 'prebuild-selected.json'), 'utf8'));
    expect(selection.tag).toBe(tag);
    const loaded = run(pkg);
    expect(JSON.parse(loaded.stdout.trim().split('\n').pop()!).sum).toBe(3);
  });

  it('are refused before loading when no tag matches this libtorch, saying how to fix it', () => {
    const result = run(stagePackage(other));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`no prebuilt binary matches this machine's libtorch ${here.version}`);
    expect(result.stderr).toContain(otherTag);
    expect(result.stderr).not.toMatch(/undefined symbol/);
    expect(result.stderr).toMatch(/npm run build:native/);
  });

  it('give an installed package\'s user their own fix, not the repository\'s commands', () => {
    const result = run(stagePackage(other, { installed: true }));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/npm rebuild torchtrain/);
    expect(result.stderr).toMatch(/pip install torch==\d/);
    expect(result.stderr).not.toMatch(/npm run build:native|scripts\/setup\.sh/);
  });

  it('without a match and without build tools, the install step says what to install', () => {
    const result = install(stagePackage(other, { installed: true }));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`no prebuilt addon for ${tag} (prebuilt: ${otherTag}): building from source`);
    expect(result.stderr).toContain('sudo apt-get install cmake g++ make');
    expect(result.stderr).toMatch(/npm rebuild torchtrain/);
  });

  it('are what npm run prebuilds lays out', () => {
    const script = readFileSync(path.join(root, 'scripts/prebuild.mjs'), 'utf8');
    expect(script).toContain("'torchtrain.node'");
    expect(script).toContain('prebuildTag(info.libtorch)');
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.prebuild, 'a script named prebuild is npm\'s pre-hook of build').toBeUndefined();
    expect(pkg.scripts.prebuilds).toBe('node scripts/prebuild.mjs');
  });
});
