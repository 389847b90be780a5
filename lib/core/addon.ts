// Loads the native addon after checking, before any dlopen, that it fits the libtorch it will run
// on: a local build's build-info record, or the tag of a prebuilt binary (the install step picks
// the one matching the libtorch it found). A mismatch is an error saying what and how to fix it,
// never an undefined-symbol crash. This module and lib/core are the only TypeScript that touch
// the addon object; lib/core/addon-locator.ts finds the file without loading it.
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { OutOfMemoryError, TorchError } from './errors.js';
import { type NativeAddon } from './native.js';
import { type BuildInfo, type FoundLibtorch, checkBuildInfo, chooseAddon, packageRoot, readJson, rebuildHint } from './addon-locator.js';
import { applyOpenMpEnvDefaults, defaultThreadCount } from './thread-defaults.js';

const require = createRequire(import.meta.url);

export type { NativeAddon } from './native.js';
export type { BuildInfo } from './addon-locator.js';
export { checkBuildInfo, installedLibtorchVersion, packageRoot } from './addon-locator.js';

/** The fix to print when the addon cannot be used (a consumer's command in an installed package). */
export const REBUILD_HINT = rebuildHint();

// glibc's RTLD_NODELETE: Node's dlopen closes a library that is not an addon, and this keeps it loaded.
const RTLD_NODELETE = 0x1000;

/**
 * A prebuilt addon's RPATH names the builder's libtorch folder. Load this machine's libtorch
 * (already checked to be the same release, CUDA flavour and ABI) globally first: the addon's
 * dependencies are then resolved by their sonames, wherever the builder had them.
 */
function preloadLibtorch(info: BuildInfo, here: FoundLibtorch): BuildInfo {
  const flags = os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL | RTLD_NODELETE;
  for (const lib of info.libtorch.libraries) {
    const file = path.join(here.libDir, `lib${lib}.so`);
    if (!existsSync(file)) throw new Error(`torchtrain: the prebuilt addon needs ${path.basename(file)}, which ${here.libDir} lacks.\nFix: ${REBUILD_HINT}.`);
    try {
      process.dlopen({ exports: {} } as NodeJS.Module, file, flags);
    } catch (err) {
      if (!/did not self-register/.test((err as Error).message)) throw err;
    }
  }
  return {
    ...info,
    libtorch: { ...info.libtorch, root: here.root, libDir: here.libDir, includeDirs: here.includeDirs, source: here.source, cudaVersion: here.cudaVersion ?? null },
    referencePython: here.python,
  };
}

function loadAddon(): { native: NativeAddon; buildInfo: BuildInfo | null; file: string } {
  const root = packageRoot();
  const choice = chooseAddon(root);
  if (choice.kind === 'none') throw new Error(`torchtrain: ${choice.problem}.\nFix: ${REBUILD_HINT}.`);
  const { file } = choice;
  const skipCheck = process.env.TORCHTRAIN_SKIP_BUILD_CHECK === '1';
  let buildInfo = choice.info;
  if (choice.kind === 'prebuilt') {
    // The tag matched; check the libtorch files are still what was found, then preload them.
    const version = readJson<{ version: string }>(path.join(root, 'package.json'))?.version ?? '?';
    const problem = checkBuildInfo({ ...choice.info, libtorch: { ...choice.info.libtorch, ...choice.libtorch, libraries: choice.info.libtorch.libraries } }, version);
    if (problem && !skipCheck) throw new Error(`torchtrain: ${problem.replace('the addon was built', `the prebuilt addon (${choice.tag}) was matched`)}.\nFix: ${REBUILD_HINT}.`);
    buildInfo = preloadLibtorch(choice.info, choice.libtorch);
  } else if (!skipCheck) {
    const version = readJson<{ version: string }>(path.join(root, 'package.json'))?.version ?? '?';
    const problem = buildInfo ? checkBuildInfo(buildInfo, version) : `${file} has no build-info record (torchtrain-build-info.json)`;
    if (problem) {
      throw new Error(`torchtrain: ${problem}.\nFix: ${REBUILD_HINT}.\n(To load it anyway, set TORCHTRAIN_SKIP_BUILD_CHECK=1.)`);
    }
  }
  let native: NativeAddon;
  // libgomp reads OMP_WAIT_POLICY once, when the addon's dlopen loads it: set it just for that,
  // so that child processes (Python references, workers) keep the user's environment.
  // Only the main thread decides: the settings are process-wide, and a worker loading the addon
  // later must not undo the user's torch.setNumThreads.
  const waitPolicyBefore = process.env.OMP_WAIT_POLICY;
  if (isMainThread) applyOpenMpEnvDefaults();
  try {
    native = require(file) as NativeAddon;
  } catch (err) {
    throw new Error(`torchtrain: could not load the native addon ${file}: ${(err as Error).message}\n` +
      `This usually means the libtorch it was built against moved or changed. Fix: ${REBUILD_HINT}.`);
  } finally {
    if (waitPolicyBefore === undefined) delete process.env.OMP_WAIT_POLICY;
  }
  native.setErrorClasses(TorchError, OutOfMemoryError);
  const threads = isMainThread ? defaultThreadCount(native.getNumThreads()) : null;
  if (threads !== null) native.setNumThreads(threads);
  return { native, buildInfo, file };
}

const loaded = loadAddon();

/** The addon's functions. Only lib/core uses this. */
export const native: NativeAddon = loaded.native;
/** The build-info record of the loaded addon (null only when the check was skipped and none exists). */
export const buildInfo: BuildInfo | null = loaded.buildInfo;
/** Where the loaded addon file is. */
export const addonFile: string = loaded.file;
