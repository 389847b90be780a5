// `npm run prebuild`: builds the addon (incrementally) and lays it out as prebuildify does,
// prebuilds/<platform>-<arch>/torchtrain.napi.glibc.node, with its build-info record beside it.
// node-gyp-build then loads it when no local build exists; the loader checks the record against
// the libtorch found on the machine and preloads that libtorch when the builder's path is absent.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './find-libtorch.mjs';
import { buildNative } from './build-native.mjs';

try {
  const { addon, info } = buildNative();
  const dir = path.join(PROJECT_ROOT, 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, 'torchtrain.napi.glibc.node');
  copyFileSync(addon, target);
  writeFileSync(path.join(dir, 'torchtrain-build-info.json'), JSON.stringify({ ...info, prebuild: true }, null, 2) + '\n');
  const size = (readFileSync(target).length / 1e6).toFixed(1);
  console.error(`[torchtrain] prebuilt ${path.relative(PROJECT_ROOT, target)} (${size} MB) for libtorch ${info.libtorch.version}${info.libtorch.cuda ? ' with CUDA' : ''}`);
} catch (err) {
  console.error(`\n[torchtrain] ${err.message}`);
  process.exit(1);
}
