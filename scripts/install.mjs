// `npm install` hook (also `npm rebuild torchtrain`): makes sure a usable addon exists.
//   1. find libtorch (scripts/find-libtorch.mjs; in a consumer project its own .venv first);
//   2. a prebuilt binary whose tag (libtorch release, CUDA flavour, C++ ABI) matches it is
//      chosen, recorded in build/prebuild-selected.json, and no compiler is needed;
//   3. otherwise the addon is built from source (incrementally: an up-to-date build costs a few
//      seconds), or, when cmake or a compiler is missing, the message says what to install.
// TORCHTRAIN_SKIP_INSTALL_BUILD=1 skips this (e.g. to install dependencies before libtorch);
// TORCHTRAIN_BUILD_FROM_SOURCE=1 ignores the prebuilt binaries.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { INSTALLED, PROJECT_ROOT, findLibtorch, pinnedTorchVersion, prebuildTag } from './find-libtorch.mjs';
import { buildNative, missingBuildTools } from './build-native.mjs';

const say = (line) => console.error(`[torchtrain] ${line}`);

if (process.env.TORCHTRAIN_SKIP_INSTALL_BUILD === '1') {
  say('TORCHTRAIN_SKIP_INSTALL_BUILD=1: not building the addon');
  process.exit(0);
}

/** The tags of prebuilds/<platform>-<arch>/<tag>/ that hold a binary and its record. */
function prebuiltTags() {
  const dir = path.join(PROJECT_ROOT, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((tag) => existsSync(path.join(dir, tag, 'torchtrain.node')) && existsSync(path.join(dir, tag, 'torchtrain-build-info.json')));
}

const selectionFile = path.join(PROJECT_ROOT, 'build', 'prebuild-selected.json');

try {
  const libtorch = findLibtorch();
  const tag = prebuildTag(libtorch);
  say(`found libtorch ${libtorch.version} (${libtorch.source}: ${libtorch.libDir}; ${tag})`);
  const tags = prebuiltTags();
  const useSource = Boolean(process.env.TORCHTRAIN_BUILD_DIR) || process.env.TORCHTRAIN_BUILD_FROM_SOURCE === '1';
  if (!useSource && tags.includes(tag)) {
    mkdirSync(path.dirname(selectionFile), { recursive: true });
    writeFileSync(selectionFile, JSON.stringify({ tag, libtorch, selectedAt: new Date().toISOString() }, null, 2) + '\n');
    say(`using the prebuilt addon prebuilds/${process.platform}-${process.arch}/${tag} (no compiler needed)`);
    process.exit(0);
  }
  rmSync(selectionFile, { force: true });
  if (tags.length > 0 && !useSource) say(`no prebuilt addon for ${tag} (prebuilt: ${tags.join(', ')}): building from source`);
  const missing = missingBuildTools();
  if (missing.length > 0) {
    const pin = pinnedTorchVersion();
    const lines = [
      `building the addon for libtorch ${libtorch.version} needs ${missing.join(', ')}, not found on PATH. Either:`,
      `  1. install the build tools: sudo apt-get install ${missing.join(' ')}`,
    ];
    if (tags.length > 0) {
      lines.push(`  2. or use a libtorch with a prebuilt addon (${tags.join(', ')}), e.g. the pinned PyPI one:`,
        `       python3 -m venv .venv && .venv/bin/pip install torch==${pin}`);
    }
    lines.push(INSTALLED ? 'then run `npm rebuild torchtrain` in your project.' : 'then run `npm run build:native`.');
    throw new Error(lines.join('\n'));
  }
  buildNative({ libtorch });
} catch (err) {
  console.error(`\n[torchtrain] ${err.message}\n`);
  process.exit(1);
}
