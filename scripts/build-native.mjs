// Builds the addon: finds libtorch (scripts/find-libtorch.mjs), runs cmake-js with its paths,
// and writes the build-info record the loader checks (lib/core/addon.ts).
//
//   node scripts/build-native.mjs            build into ./build (incremental)
//   TORCHTRAIN_BUILD_DIR=build-system TORCHTRAIN_TARGET=system node scripts/build-native.mjs
//   node scripts/build-native.mjs --clean    start from an empty build folder
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { INSTALLED, PROJECT_ROOT, findLibtorch, libtorchLibraries } from './find-libtorch.mjs';

const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));

export function buildDir() {
  return path.resolve(PROJECT_ROOT, process.env.TORCHTRAIN_BUILD_DIR || 'build');
}

/** The first executable of these names on PATH, or null. */
export function onPath(...names) {
  for (const name of names) {
    for (const dir of (process.env.PATH || '').split(path.delimiter).filter(Boolean)) {
      try {
        accessSync(path.join(dir, name), constants.X_OK);
        return path.join(dir, name);
      } catch { /* not here */ }
    }
  }
  return null;
}

/** The build tools missing from PATH (cmake, a C++ compiler, make or ninja), as an apt-get line's packages. */
export function missingBuildTools() {
  const missing = [];
  if (!onPath('cmake')) missing.push('cmake');
  if (!onPath('c++', 'g++', 'clang++')) missing.push('g++');
  if (!onPath('make', 'ninja')) missing.push('make');
  return missing;
}

/**
 * cmake-js's command file, resolved from this package as Node resolves it: in a consumer
 * project npm hoists cmake-js next to torchtrain, not under torchtrain/node_modules.
 */
export function cmakeJsBin() {
  const require = createRequire(path.join(PROJECT_ROOT, 'package.json'));
  const pkgFile = require.resolve('cmake-js/package.json');
  const bin = JSON.parse(readFileSync(pkgFile, 'utf8')).bin;
  return path.join(path.dirname(pkgFile), typeof bin === 'string' ? bin : bin['cmake-js']);
}

export function buildNative({ clean = false, libtorch = findLibtorch() } = {}) {
  const missing = missingBuildTools();
  if (missing.length > 0) {
    throw new Error(`building the addon needs ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not on PATH. Fix: ` +
      `sudo apt-get install ${missing.join(' ')}${INSTALLED ? ', then `npm rebuild torchtrain`' : ''}.`);
  }
  console.error(`[torchtrain] building against libtorch ${libtorch.version} (${libtorch.source}: ${libtorch.libDir}; CUDA ${libtorch.cuda ? 'yes' : 'no'})`);
  const out = buildDir();
  if (clean && existsSync(out)) rmSync(out, { recursive: true, force: true });
  const libraries = libtorchLibraries(libtorch.libDir);
  const defines = {
    TORCH_INCLUDE_DIRS: libtorch.includeDirs.join(';'),
    TORCH_LIB_DIR: libtorch.libDir,
    TORCH_LIBRARIES: libraries.join(';'),
    TORCH_CUDA: libtorch.cuda ? 'ON' : 'OFF',
    TORCH_CXX11_ABI: libtorch.cxx11abi ? '1' : '0',
    TORCHTRAIN_VERSION: pkg.version,
    TORCH_CXX_STANDARD: Number(String(libtorch.version).split('.')[0]) >= 2 ? '20' : '17',
  };
  const jobs = Math.max(1, Number(process.env.TORCHTRAIN_BUILD_JOBS) || os.availableParallelism());
  const args = ['cmake-js', 'build', '--out', out, '--parallel', String(jobs), '--log-level', 'warn'];
  for (const [key, value] of Object.entries(defines)) args.push(`--CD${key}=${value}`);
  const started = Date.now();
  const cmakeJs = cmakeJsBin();
  const result = spawnSync(process.execPath, [cmakeJs, ...args.slice(1)], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`cmake-js failed (exit ${result.status}); the compiler output above says why`);
  const addon = path.join(out, 'Release', 'torchtrain.node');
  if (!existsSync(addon)) throw new Error(`the build finished but ${addon} is missing`);
  const info = {
    torchtrainVersion: pkg.version,
    napiVersion: 8,
    libtorch: {
      source: libtorch.source,
      version: libtorch.version,
      root: libtorch.root,
      libDir: libtorch.libDir,
      includeDirs: libtorch.includeDirs,
      cuda: libtorch.cuda,
      cudaVersion: libtorch.cudaVersion ?? null,
      cxx11abi: libtorch.cxx11abi,
      libraries,
    },
    referencePython: libtorch.python,
    builtAt: new Date().toISOString(),
  };
  writeFileSync(path.join(out, 'Release', 'torchtrain-build-info.json'), JSON.stringify(info, null, 2) + '\n');
  // A fresh local build replaces a prebuilt binary the install step had chosen (lib/core/addon-locator.ts).
  if (out === path.join(PROJECT_ROOT, 'build')) rmSync(path.join(out, 'prebuild-selected.json'), { force: true });
  console.error(`[torchtrain] built ${path.relative(PROJECT_ROOT, addon)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { addon, info };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(PROJECT_ROOT, 'scripts/build-native.mjs')) {
  try {
    buildNative({ clean: process.argv.includes('--clean') });
  } catch (err) {
    console.error(`\n${err.message}`);
    process.exit(1);
  }
}
