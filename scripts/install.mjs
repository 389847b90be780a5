// `npm install` hook: makes sure a usable addon exists. A prebuilt binary whose build-info
// record matches the libtorch found here is used as is; otherwise the addon is built
// (incrementally: an up-to-date build costs a few seconds).
// TORCHTRAIN_SKIP_INSTALL_BUILD=1 skips this (e.g. to install dependencies before libtorch).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, findLibtorch } from './find-libtorch.mjs';
import { buildNative } from './build-native.mjs';

if (process.env.TORCHTRAIN_SKIP_INSTALL_BUILD === '1') {
  console.error('[torchtrain] TORCHTRAIN_SKIP_INSTALL_BUILD=1: not building the addon');
  process.exit(0);
}

function matchingPrebuild(libtorch) {
  const dir = path.join(PROJECT_ROOT, 'prebuilds', `${process.platform}-${process.arch}`);
  const infoFile = path.join(dir, 'torchtrain-build-info.json');
  if (!existsSync(infoFile)) return null;
  const info = JSON.parse(readFileSync(infoFile, 'utf8'));
  const same = info.libtorch.version === libtorch.version && info.libtorch.cuda === libtorch.cuda && info.libtorch.cxx11abi === libtorch.cxx11abi;
  return same ? dir : null;
}

try {
  const libtorch = findLibtorch();
  const prebuild = process.env.TORCHTRAIN_BUILD_DIR ? null : matchingPrebuild(libtorch);
  if (prebuild) {
    console.error(`[torchtrain] using the prebuilt addon in ${path.relative(PROJECT_ROOT, prebuild)} (libtorch ${libtorch.version})`);
  } else {
    buildNative();
  }
} catch (err) {
  console.error(`\n[torchtrain] ${err.message}\n`);
  process.exit(1);
}
