// Where the native addon is and whether it may be loaded here, without loading it: the package
// folder, the build-info record, the tags of prebuilt binaries, and the fix to print for each
// problem. lib/core/addon.ts loads the addon from what this finds; `torchtrain doctor` uses it
// to diagnose an addon that does not load.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LibtorchRecord {
  source: 'LIBTORCH' | 'python' | 'system';
  version: string;
  root: string;
  libDir: string;
  includeDirs: string[];
  cuda: boolean;
  cudaVersion: string | null;
  cxx11abi: boolean;
  libraries: string[];
}

export interface BuildInfo {
  torchtrainVersion: string;
  napiVersion: number;
  libtorch: LibtorchRecord;
  referencePython: string | null;
  builtAt: string;
  /** Set on prebuilt binaries (npm run prebuilds), which may run where libtorch lives elsewhere. */
  prebuild?: boolean;
  /** A prebuilt binary's tag (prebuildTag): the libtorch release, CUDA flavour and C++ ABI it needs. */
  tag?: string;
}

/** The libtorch found on this machine by scripts/find-libtorch.mjs. */
export type FoundLibtorch = Omit<LibtorchRecord, 'libraries'> & { python: string | null; libraries?: string[] };

/**
 * The tag a prebuilt binary carries and a libtorch must match to use it: the release, the CUDA
 * flavour ('cpu', 'cu132' for CUDA 13.2, 'cuda' when the version is unknown) and the C++ ABI.
 * scripts/prebuild-tag.mjs computes the same string for the install step.
 */
export function prebuildTag(l: { version: string; cuda: boolean; cudaVersion?: string | null; cxx11abi: boolean }): string {
  const flavour = !l.cuda ? 'cpu' : l.cudaVersion ? `cu${l.cudaVersion.replace(/\./g, '')}` : 'cuda';
  return `libtorch-${l.version}-${flavour}-${l.cxx11abi ? 'cxx11' : 'precxx11'}`;
}

export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && readJson<{ name?: string }>(pkg)?.name === 'torchtrain') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('torchtrain: cannot find its own package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** True when torchtrain is an installed dependency (inside node_modules), not a repository checkout. */
export function isInstalledPackage(root: string = packageRoot()): boolean {
  return root.split(path.sep).includes('node_modules');
}

/** The PyTorch release pinned in scripts/requirements-torch.txt (the one the prebuilt binaries are for). */
export function pinnedTorchVersion(root: string = packageRoot()): string {
  const file = path.join(root, 'scripts/requirements-torch.txt');
  const match = existsSync(file) ? readFileSync(file, 'utf8').match(/^torch==([\w.+-]+)/m) : null;
  return match ? match[1] : '2.15.0';
}

/** The pip command that gives a consumer project a libtorch (the pinned PyPI PyTorch in ./.venv). */
export function pipInstallCommand(root: string = packageRoot()): string {
  return `python3 -m venv .venv && .venv/bin/pip install torch==${pinnedTorchVersion(root)}`;
}

/** What to run to (re)build or re-pick the addon: a consumer's command, or the repository's. */
export function rebuildHint(root: string = packageRoot()): string {
  if (isInstalledPackage(root)) {
    return 'run `npm rebuild torchtrain` in your project (it finds libtorch again and picks a prebuilt binary or builds one); ' +
      `if no libtorch is found, get one first: \`${pipInstallCommand(root)}\` (or \`sudo apt-get install libtorch-dev\`)`;
  }
  return 'rebuild the addon with `npm run build:native` (or `bash scripts/setup.sh` on a fresh machine)';
}

/** Parsed JSON of a file, or null when it is absent or not JSON (a damaged record is no crash). */
export function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** The libtorch version now installed where the addon was built against it, or null if gone. */
export function installedLibtorchVersion(info: Pick<LibtorchRecord, 'source' | 'root' | 'libDir' | 'includeDirs'>): string | null {
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

/** Why the addon with this record must not be loaded, or null when its record matches this machine. */
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

export interface Prebuild {
  tag: string;
  file: string;
  info: BuildInfo;
}

/** The prebuilt binaries shipped for this platform: prebuilds/<platform>-<arch>/<tag>/torchtrain.node. */
export function listPrebuilds(root: string = packageRoot()): Prebuild[] {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!existsSync(dir)) return [];
  const found: Prebuild[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const file = path.join(dir, entry.name, 'torchtrain.node');
    const info = readJson<BuildInfo>(path.join(dir, entry.name, 'torchtrain-build-info.json'));
    if (existsSync(file) && info?.libtorch) found.push({ tag: info.tag ?? prebuildTag(info.libtorch), file, info });
  }
  return found;
}

/** What the install step chose (build/prebuild-selected.json): a prebuilt binary and the libtorch it matched. */
export interface PrebuildSelection {
  tag: string;
  libtorch: FoundLibtorch;
}

export function selectionFile(root: string = packageRoot()): string {
  return path.join(root, 'build', 'prebuild-selected.json');
}

/** The libtorch this machine has, found as the build does (scripts/find-libtorch.mjs); its log on failure. */
export function findLibtorchHere(root: string = packageRoot()): { found: FoundLibtorch | null; log: string } {
  const script = path.join(root, 'scripts/find-libtorch.mjs');
  const result = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  if (result.status !== 0) return { found: null, log: (result.stderr || result.error?.message || '').trim() };
  try {
    return { found: JSON.parse(result.stdout) as FoundLibtorch, log: result.stderr.trim() };
  } catch {
    return { found: null, log: `scripts/find-libtorch.mjs printed no JSON:\n${result.stdout}\n${result.stderr}` };
  }
}

/** Which addon file to load: an explicit build folder, a local build, or a prebuilt binary. */
export type AddonChoice =
  | { kind: 'built'; file: string; info: BuildInfo | null }
  | { kind: 'prebuilt'; file: string; info: BuildInfo; libtorch: FoundLibtorch; tag: string }
  | { kind: 'none'; problem: string };

export function chooseAddon(root: string = packageRoot()): AddonChoice {
  const infoOf = (file: string) => readJson<BuildInfo>(path.join(path.dirname(file), 'torchtrain-build-info.json'));
  const buildDir = process.env.TORCHTRAIN_BUILD_DIR;
  if (buildDir) {
    const file = path.resolve(root, buildDir, 'Release', 'torchtrain.node');
    if (!existsSync(file)) return { kind: 'none', problem: `TORCHTRAIN_BUILD_DIR=${buildDir} holds no Release/torchtrain.node` };
    return { kind: 'built', file, info: infoOf(file) };
  }
  const local = path.join(root, 'build', 'Release', 'torchtrain.node');
  const selection = readJson<PrebuildSelection>(selectionFile(root));
  if (existsSync(local) && !selection) return { kind: 'built', file: local, info: infoOf(local) };
  const prebuilds = listPrebuilds(root);
  if (prebuilds.length === 0) {
    return { kind: 'none', problem: `the native addon is not built (no build/Release/torchtrain.node and no prebuilt binary for ${process.platform}-${process.arch})` };
  }
  // The install step's choice saves a Python start-up (the libtorch search) on every load.
  let libtorch = selection?.libtorch ?? null;
  if (!libtorch) {
    const here = findLibtorchHere(root);
    if (!here.found) return { kind: 'none', problem: `the prebuilt addon needs a libtorch, and none was found:\n${here.log}` };
    libtorch = here.found;
  }
  const tag = prebuildTag(libtorch);
  const match = prebuilds.find((p) => p.tag === tag);
  if (!match) {
    return { kind: 'none', problem: `no prebuilt binary matches this machine's libtorch ${libtorch.version} in ${libtorch.libDir} (${tag}); ` +
      `the prebuilt ones are for ${prebuilds.map((p) => p.tag).join(', ')}` };
  }
  return { kind: 'prebuilt', file: match.file, info: match.info, libtorch, tag };
}
