// `npm run prebuilds`: builds the addon (incrementally) and copies it to
// prebuilds/<platform>-<arch>/<tag>/torchtrain.node with its build-info record beside it; the tag
// names the libtorch release, CUDA flavour and C++ ABI it needs (libtorch-2.15.0-cu132-cxx11).
// The install step picks the prebuilt binary whose tag matches the libtorch it finds; the loader
// checks the tag again and preloads that libtorch (the binary's RPATH names the builder's folder).
//
//   npm run prebuilds                                  the libtorch found (build/)
//   npm run prebuilds -- --target system               Debian's libtorch-dev (build-system/)
//   npm run prebuilds -- --target python --build-dir build-x   another build folder
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, prebuildTag } from './find-libtorch.mjs';

function option(name) {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

try {
  const target = option('--target');
  if (target) process.env.TORCHTRAIN_TARGET = target;
  const buildDir = option('--build-dir') ?? process.env.TORCHTRAIN_BUILD_DIR ?? (target === 'system' ? 'build-system' : 'build');
  process.env.TORCHTRAIN_BUILD_DIR = buildDir;
  // Imported after the environment is set: the build folder is read from it.
  const { buildNative } = await import('./build-native.mjs');
  const { addon, info } = buildNative();
  const tag = prebuildTag(info.libtorch);
  const dir = path.join(PROJECT_ROOT, 'prebuilds', `${process.platform}-${process.arch}`, tag);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'torchtrain.node');
  copyFileSync(addon, file);
  writeFileSync(path.join(dir, 'torchtrain-build-info.json'), JSON.stringify({ ...info, prebuild: true, tag }, null, 2) + '\n');
  const size = (readFileSync(file).length / 1e6).toFixed(1);
  console.error(`[torchtrain] prebuilt ${path.relative(PROJECT_ROOT, file)} (${size} MB) from ${buildDir}/`);
} catch (err) {
  console.error(`\n[torchtrain] ${err.message}`);
  process.exit(1);
}
