// Loads the native addon (through node-gyp-build, so prebuilt binaries are used when present)
// after checking its build-info record against the libtorch it will run on. This module and
// lib/core are the only TypeScript that touch the addon object.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OutOfMemoryError, TorchError } from './errors.js';
import { type NativeAddon } from './native.js';

const require = createRequire(import.meta.url);

export type { NativeAddon } from './native.js';

export interface BuildInfo {
  torchtrainVersion: string;
  napiVersion: number;
  libtorch: {
    source: 'LIBTORCH' | 'python' | 'system';
    version: string;
    root: string;
    libDir: string;
    includeDirs: string[];
    cuda: boolean;
    cudaVersion: string | null;
    cxx11abi: boolean;
    libraries: string[];
  };
  referencePython: string | null;
  builtAt: string;
  /** Set on prebuilt binaries (npm run prebuild), which may run where libtorch lives elsewhere. */
  prebuild?: boolean;
}

export const REBUILD_HINT = 'rebuild the addon with `npm run build:native` (or `bash scripts/setup.sh` on a fresh machine)';

export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'torchtrain') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('torchtrain: cannot find its own package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

function addonPath(root: string): string {
  const buildDir = process.env.TORCHTRAIN_BUILD_DIR;
  if (buildDir) {
    const file = path.resolve(root, buildDir, 'Release', 'torchtrain.node');
    if (!existsSync(file)) throw new Error(`torchtrain: TORCHTRAIN_BUILD_DIR=${buildDir} holds no Release/torchtrain.node; ${REBUILD_HINT}`);
    return file;
  }
  const nodeGypBuild = require('node-gyp-build') as { resolve(dir: string): string };
  try {
    return nodeGypBuild.resolve(root);
  } catch {
    throw new Error(`torchtrain: the native addon is not built (no build/Release/torchtrain.node and no prebuilt binary for ${process.platform}-${process.arch}); ${REBUILD_HINT}`);
  }
}

/** The libtorch version now installed where the addon was built against it, or null if gone. */
export function installedLibtorchVersion(info: BuildInfo['libtorch']): string | null {
  if (!existsSync(path.join(info.libDir, 'libtorch_cpu.so'))) return null;
  if (info.source === 'python') {
    const versionPy = path.join(info.root, 'version.py');
    if (!existsSync(versionPy)) return null;
    const match = readFileSync(versionPy, 'utf8').match(/__version__\s*=\s*['"]([^'"+]+)/);
    return match ? match[1] : null;
  }
  for (const dir of info.includeDirs) {
    const header = path.join(dir, 'torch/csrc/api/include/torch/version.h');
    if (!existsSync(header)) continue;
    const text = readFileSync(header, 'utf8');
    const part = (n: string) => text.match(new RegExp(`#define TORCH_VERSION_${n}\\s+(\\d+)`))?.[1];
    return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
  }
  return null;
}

/** Why the addon at `file` must not be loaded, or null when its record matches this machine. */
export function checkBuildInfo(info: BuildInfo, packageVersion: string): string | null {
  if (info.torchtrainVersion !== packageVersion) {
    return `the addon was built for torchtrain ${info.torchtrainVersion}, but this is torchtrain ${packageVersion}`;
  }
  const now = installedLibtorchVersion(info.libtorch);
  if (now === null) {
    return `the addon was built against libtorch ${info.libtorch.version} in ${info.libtorch.libDir} (${info.libtorch.source}), which is no longer there`;
  }
  if (now !== info.libtorch.version) {
    return `the addon was built against libtorch ${info.libtorch.version}, but ${info.libtorch.libDir} now holds libtorch ${now}`;
  }
  return null;
}

// glibc's RTLD_NODELETE: Node's dlopen closes a library that is not an addon, and this keeps it loaded.
const RTLD_NODELETE = 0x1000;

/**
 * A prebuilt addon's RPATH names the builder's libtorch folder. When that is absent here, find
 * this machine's libtorch (the build-time search), check it is the same release, and load its
 * libraries globally first: the addon's dependencies are then resolved by their sonames.
 */
function preloadLibtorchFor(info: BuildInfo, root: string): BuildInfo {
  const found = spawnSync(process.execPath, [path.join(root, 'scripts/find-libtorch.mjs')], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error(`torchtrain: the prebuilt addon needs libtorch ${info.libtorch.version}, and none was found:\n${found.stderr}`);
  const here = JSON.parse(found.stdout) as BuildInfo['libtorch'] & { python: string | null };
  if (here.version !== info.libtorch.version || here.cuda !== info.libtorch.cuda || here.cxx11abi !== info.libtorch.cxx11abi) {
    throw new Error(`torchtrain: the prebuilt addon was built for libtorch ${info.libtorch.version} (CUDA ${info.libtorch.cuda}), ` +
      `but this machine has libtorch ${here.version} (CUDA ${here.cuda}) in ${here.libDir}. Fix: ${REBUILD_HINT}.`);
  }
  const flags = os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL | RTLD_NODELETE;
  for (const lib of info.libtorch.libraries) {
    try {
      process.dlopen({ exports: {} } as NodeJS.Module, path.join(here.libDir, `lib${lib}.so`), flags);
    } catch (err) {
      if (!/did not self-register/.test((err as Error).message)) throw err;
    }
  }
  return { ...info, libtorch: { ...info.libtorch, root: here.root, libDir: here.libDir, includeDirs: here.includeDirs, source: here.source }, referencePython: here.python };
}

function loadAddon(): { native: NativeAddon; buildInfo: BuildInfo | null; file: string } {
  const root = packageRoot();
  const file = addonPath(root);
  const infoFile = path.join(path.dirname(file), 'torchtrain-build-info.json');
  let buildInfo: BuildInfo | null = existsSync(infoFile) ? JSON.parse(readFileSync(infoFile, 'utf8')) : null;
  if (buildInfo?.prebuild && !existsSync(path.join(buildInfo.libtorch.libDir, 'libtorch_cpu.so'))) {
    buildInfo = preloadLibtorchFor(buildInfo, root);
  }
  const skipCheck = process.env.TORCHTRAIN_SKIP_BUILD_CHECK === '1';
  if (!skipCheck) {
    const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
    const problem = buildInfo ? checkBuildInfo(buildInfo, version) : `${file} has no build-info record (${path.basename(infoFile)})`;
    if (problem) {
      throw new Error(`torchtrain: ${problem}.\nFix: ${REBUILD_HINT}.\n(To load it anyway, set TORCHTRAIN_SKIP_BUILD_CHECK=1.)`);
    }
  }
  let native: NativeAddon;
  try {
    native = require(file) as NativeAddon;
  } catch (err) {
    throw new Error(`torchtrain: could not load the native addon ${file}: ${(err as Error).message}\n` +
      `This usually means the libtorch it was built against moved or changed. Fix: ${REBUILD_HINT}.`);
  }
  native.setErrorClasses(TorchError, OutOfMemoryError);
  return { native, buildInfo, file };
}

const loaded = loadAddon();

/** The addon's functions. Only lib/core uses this. */
export const native: NativeAddon = loaded.native;
/** The build-info record of the loaded addon (null only when the check was skipped and none exists). */
export const buildInfo: BuildInfo | null = loaded.buildInfo;
/** Where the loaded addon file is. */
export const addonFile: string = loaded.file;
