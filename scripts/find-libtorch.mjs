// Finds the libtorch the addon builds against, in the order of DESIGN.md section 2:
//   1. the LIBTORCH environment variable (a libtorch folder),
//   2. a Python PyTorch installation (TORCHTRAIN_PYTHON, the project's .venv, python3 on PATH, /usr/bin/python3),
//   3. a system install (Debian/Ubuntu libtorch-dev).
// TORCHTRAIN_TARGET=python|system skips straight to step 2 or 3 (CI builds both targets this way).
// Run directly (`node scripts/find-libtorch.mjs`) it prints the result as JSON.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const HEADER = 'torch/csrc/api/include/torch/torch.h';

/** True when this is an installed dependency (inside node_modules), not a repository checkout. */
export const INSTALLED = PROJECT_ROOT.split(path.sep).includes('node_modules');

/** The PyTorch release pinned for the primary target (and the prebuilt binaries). */
export function pinnedTorchVersion() {
  const file = path.join(PROJECT_ROOT, 'scripts/requirements-torch.txt');
  const match = existsSync(file) ? readFileSync(file, 'utf8').match(/^torch==([\w.+-]+)/m) : null;
  return match ? match[1] : '2.15.0';
}

/** The exact commands that give this machine a libtorch, for the project torchtrain is used in. */
export function libtorchFixes() {
  if (INSTALLED) {
    return [
      '  1. PyTorch from PyPI in your project (about 5 GB with its CUDA libraries; a prebuilt addon matches it):',
      `       python3 -m venv .venv && .venv/bin/pip install torch==${pinnedTorchVersion()}`,
      '  2. Debian/Ubuntu\'s libtorch 1.13:  sudo apt-get install libtorch-dev',
      '  3. an existing one: TORCHTRAIN_PYTHON=/path/to/python (whose `import torch` works), or',
      '     LIBTORCH=/path/to/libtorch (an unpacked folder holding include/ and lib/)',
      'then run `npm rebuild torchtrain` in your project.',
    ];
  }
  return [
    '  1. LIBTORCH=/path/to/libtorch   (an unpacked libtorch folder holding include/ and lib/)',
    '  2. bash scripts/setup.sh        (installs the pinned PyTorch from PyPI into ./.venv), or point',
    '     TORCHTRAIN_PYTHON at a python whose `import torch` works',
    '  3. bash scripts/setup.sh --system  (apt-get install libtorch-dev python3-torch libopenblas0-pthread)',
  ];
}

/** Reads TORCH_VERSION_{MAJOR,MINOR,PATCH} from torch/version.h under one of the include dirs. */
export function readHeaderVersion(includeDirs) {
  for (const dir of includeDirs) {
    const file = path.join(dir, 'torch/csrc/api/include/torch/version.h');
    const alt = path.join(dir, 'torch/version.h');
    const found = existsSync(file) ? file : existsSync(alt) ? alt : null;
    if (!found) continue;
    const text = readFileSync(found, 'utf8');
    const part = (n) => text.match(new RegExp(`#define TORCH_VERSION_${n}\\s+(\\d+)`))?.[1];
    const [ma, mi, pa] = ['MAJOR', 'MINOR', 'PATCH'].map(part);
    if (ma) return `${ma}.${mi}.${pa}`;
  }
  return null;
}

function hasCuda(libDir) {
  return existsSync(path.join(libDir, 'libtorch_cuda.so')) || existsSync(path.join(libDir, 'libc10_cuda.so'));
}

function fromLibtorchFolder(root, log) {
  const includeDirs = [path.join(root, 'include'), path.join(root, 'include/torch/csrc/api/include')];
  const libDir = path.join(root, 'lib');
  if (!existsSync(path.join(root, 'include', HEADER))) {
    log(`  LIBTORCH=${root}: no include/${HEADER} there`);
    return null;
  }
  if (!existsSync(path.join(libDir, 'libtorch.so'))) {
    log(`  LIBTORCH=${root}: no lib/libtorch.so there`);
    return null;
  }
  const abiFile = path.join(root, 'build-abi'); // absent in most downloads: then assume the modern ABI
  return {
    source: 'LIBTORCH',
    root,
    includeDirs,
    libDir,
    version: readHeaderVersion(includeDirs),
    cuda: hasCuda(libDir),
    cxx11abi: existsSync(abiFile) ? !readFileSync(abiFile, 'utf8').includes('=0') : true,
    python: process.env.TORCHTRAIN_PYTHON || null,
  };
}

const PY_PROBE = `
import json, os, torch
from torch.utils import cpp_extension as c
print(json.dumps({
  "version": torch.__version__.split("+")[0],
  "fullVersion": torch.__version__,
  "includeDirs": c.include_paths(),
  "libDirs": c.library_paths(),
  "cudaVersion": torch.version.cuda,
  "cxx11abi": bool(torch._C._GLIBCXX_USE_CXX11_ABI),
  "torchDir": os.path.dirname(torch.__file__),
}))
`;

/**
 * The project folders whose ./.venv may hold PyTorch: the project npm runs in (INIT_CWD), the
 * folders above the working directory (the consumer's root when this runs inside
 * node_modules/torchtrain), then this package's own folder (a repository checkout).
 */
export function projectFolders() {
  const list = [];
  if (process.env.INIT_CWD) list.push(path.resolve(process.env.INIT_CWD));
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    list.push(dir);
    if (path.dirname(dir) === dir) break;
  }
  list.push(PROJECT_ROOT);
  return [...new Set(list)];
}

function pythonCandidates() {
  const list = [];
  if (process.env.TORCHTRAIN_PYTHON) list.push(process.env.TORCHTRAIN_PYTHON);
  for (const dir of projectFolders()) {
    const venvPython = path.join(dir, '.venv/bin/python');
    if (existsSync(venvPython)) list.push(venvPython);
  }
  list.push('python3', '/usr/bin/python3');
  return [...new Set(list)];
}

function fromPython(python, log) {
  if (python.includes('/') && !existsSync(python)) {
    log(`  ${python}: not present`);
    return null;
  }
  let probe;
  try {
    const out = execFileSync(python, ['-c', PY_PROBE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    probe = JSON.parse(out.trim().split('\n').pop());
  } catch (err) {
    const why = String(err.stderr || err.message).trim().split('\n').pop();
    log(`  ${python}: no usable torch (${why})`);
    return null;
  }
  const includeDirs = probe.includeDirs.filter((d) => existsSync(d));
  const libDir = probe.libDirs.find((d) => existsSync(path.join(d, 'libtorch.so')));
  if (!includeDirs.some((d) => existsSync(path.join(d, HEADER)))) {
    log(`  ${python}: torch ${probe.fullVersion} has no C++ headers (${HEADER})`);
    return null;
  }
  if (!libDir) {
    log(`  ${python}: torch ${probe.fullVersion} has no libtorch.so in ${probe.libDirs.join(', ')}`);
    return null;
  }
  let resolvedPython = python;
  try {
    resolvedPython = python.includes('/') ? python : execFileSync('sh', ['-c', `command -v ${python}`], { encoding: 'utf8' }).trim();
  } catch { /* keep the bare name */ }
  return {
    source: 'python',
    root: probe.torchDir,
    includeDirs,
    libDir: realpathSync(libDir),
    version: probe.version,
    cuda: Boolean(probe.cudaVersion) && hasCuda(libDir),
    cudaVersion: probe.cudaVersion,
    cxx11abi: probe.cxx11abi,
    python: resolvedPython,
  };
}

function fromSystem(log) {
  const libRoots = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  for (const libDir of libRoots) {
    if (!existsSync(path.join(libDir, 'cmake/Torch/TorchConfig.cmake'))) continue;
    const prefix = path.resolve(libDir, libDir.endsWith('-gnu') ? '../..' : '..');
    const includeDirs = [path.join(prefix, 'include'), path.join(prefix, 'include/torch/csrc/api/include')];
    if (!existsSync(path.join(includeDirs[0], HEADER))) {
      log(`  ${libDir}/cmake/Torch: headers missing under ${includeDirs[0]}`);
      continue;
    }
    let python = null;
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
      python = '/usr/bin/python3';
    } catch { /* parity tests will say the reference is missing */ }
    return {
      source: 'system',
      root: prefix,
      includeDirs,
      libDir,
      version: readHeaderVersion(includeDirs),
      cuda: hasCuda(libDir),
      cxx11abi: true,
      python,
    };
  }
  log('  no cmake/Torch package under /usr/lib*/ or /usr/local/lib');
  return null;
}

/** Returns the libtorch to build against; throws an Error naming all three fixes when none is found. */
export function findLibtorch({ log = (line) => console.error(line) } = {}) {
  const target = process.env.TORCHTRAIN_TARGET;
  if (target && !['python', 'system', 'libtorch'].includes(target)) {
    throw new Error(`TORCHTRAIN_TARGET=${target} is not one of python, system, libtorch`);
  }
  if (!target || target === 'libtorch') {
    log('[torchtrain] libtorch step 1: the LIBTORCH environment variable');
    if (process.env.LIBTORCH) {
      const found = fromLibtorchFolder(path.resolve(process.env.LIBTORCH), log);
      if (found) return found;
    } else log('  LIBTORCH is not set');
  }
  if (!target || target === 'python') {
    log('[torchtrain] libtorch step 2: a Python PyTorch installation');
    for (const python of pythonCandidates()) {
      const found = fromPython(python, log);
      if (found) return found;
    }
  }
  if (!target || target === 'system') {
    log('[torchtrain] libtorch step 3: a system libtorch (libtorch-dev)');
    const found = fromSystem(log);
    if (found) return found;
  }
  throw new Error(['torchtrain could not find libtorch. Any one of these fixes it:', ...libtorchFixes()].join('\n'));
}

/**
 * The tag a prebuilt binary carries and a libtorch must match to use it: release, CUDA flavour
 * ('cpu', 'cu132' for CUDA 13.2, 'cuda' when unknown) and C++ ABI. lib/core/addon-locator.ts
 * computes the same string at load.
 */
export function prebuildTag({ version, cuda, cudaVersion, cxx11abi }) {
  const flavour = !cuda ? 'cpu' : cudaVersion ? `cu${String(cudaVersion).replace(/\./g, '')}` : 'cuda';
  return `libtorch-${version}-${flavour}-${cxx11abi ? 'cxx11' : 'precxx11'}`;
}

/** Lists the libraries to link: CUDA ones too when present (the build keeps them with --no-as-needed). */
export function libtorchLibraries(libDir) {
  const present = new Set(readdirSync(libDir));
  const wanted = ['c10', 'torch_cpu', 'torch', 'c10_cuda', 'torch_cuda'];
  return wanted.filter((name) => present.has(`lib${name}.so`));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const found = findLibtorch();
    console.log(JSON.stringify({ ...found, libraries: libtorchLibraries(found.libDir) }, null, 2));
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
