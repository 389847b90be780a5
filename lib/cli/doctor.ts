// `torchtrain doctor`: checks the installation and says how to fix each problem. It must work
// when the addon does not load (that is what it diagnoses), so it finds the addon through
// lib/core/addon-locator (which loads nothing) and loads libtorch last, by a dynamic import
// whose failure becomes a finding.
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AddonChoice, type FoundLibtorch, chooseAddon, findLibtorchHere, isInstalledPackage, packageRoot, pinnedTorchVersion,
  pipInstallCommand, prebuildTag, readJson, rebuildHint,
} from '../core/addon-locator.js';

export type FindingStatus = 'ok' | 'warning' | 'problem';

export interface Finding {
  check: string;
  status: FindingStatus;
  detail: string;
  fix?: string;
}

export interface DoctorReport {
  healthy: boolean;
  findings: Finding[];
  libtorch: FoundLibtorch | null;
  addon: { kind: AddonChoice['kind']; file: string | null; tag: string | null; builtAt: string | null };
  gpus: string[];
  blas: string[];
}

const MIN_NAPI = 8;

function versionAtLeast(have: string, want: string): boolean {
  const a = have.split('.').map(Number), b = want.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

function checkNode(root: string): Finding[] {
  const engines = readJson<{ engines?: { node?: string } }>(path.join(root, 'package.json'))?.engines?.node ?? '>=20';
  const wanted = engines.replace(/^>=\s*/, '');
  const node = process.versions.node;
  const napi = Number(process.versions.napi ?? 0);
  return [
    versionAtLeast(node, wanted)
      ? { check: 'Node.js', status: 'ok', detail: `${node} (needs ${engines})` }
      : { check: 'Node.js', status: 'problem', detail: `${node}, but torchtrain needs ${engines}`, fix: 'install Node.js 20 or 22 (https://nodejs.org, or nvm install 22)' },
    napi >= MIN_NAPI
      ? { check: 'N-API', status: 'ok', detail: `version ${napi} (the addon needs ${MIN_NAPI})` }
      : { check: 'N-API', status: 'problem', detail: `version ${napi}, but the addon needs ${MIN_NAPI}`, fix: 'upgrade Node.js to 20 or 22' },
    process.platform === 'linux' && process.arch === 'x64'
      ? { check: 'platform', status: 'ok', detail: 'linux-x64 (prebuilt binaries and tested)' }
      : { check: 'platform', status: 'warning', detail: `${process.platform}-${process.arch}: no prebuilt binaries; the addon builds from source (untested here)` },
  ];
}

function checkLibtorch(root: string): { findings: Finding[]; found: FoundLibtorch | null } {
  const { found, log } = findLibtorchHere(root);
  if (!found) {
    return {
      found,
      findings: [{ check: 'libtorch', status: 'problem', detail: `none found. The search:\n${log}`,
        fix: `${pipInstallCommand(root)}  (or: sudo apt-get install libtorch-dev), then \`npm rebuild torchtrain\`` }],
    };
  }
  const cuda = found.cuda ? `CUDA ${found.cudaVersion ?? '(version unknown)'}` : 'CPU only';
  return { found, findings: [{ check: 'libtorch', status: 'ok', detail: `${found.version}, ${cuda}, found via ${found.source} in ${found.libDir} (tag ${prebuildTag(found)})` }] };
}

function checkAddon(root: string, found: FoundLibtorch | null): { findings: Finding[]; addon: DoctorReport['addon'] } {
  const choice = chooseAddon(root);
  if (choice.kind === 'none') {
    return { addon: { kind: 'none', file: null, tag: null, builtAt: null },
      findings: [{ check: 'addon', status: 'problem', detail: choice.problem, fix: rebuildHint(root) }] };
  }
  const info = choice.info;
  const tag = choice.kind === 'prebuilt' ? choice.tag : info ? prebuildTag(info.libtorch) : null;
  const addon = { kind: choice.kind, file: choice.file, tag, builtAt: info?.builtAt ?? null };
  const how = choice.kind === 'prebuilt' ? `prebuilt binary ${choice.tag}` : `built from source${info ? ` against libtorch ${info.libtorch.version} (${info.libtorch.source}: ${info.libtorch.libDir})` : ''}`;
  const findings: Finding[] = [{ check: 'addon', status: 'ok', detail: `${how}: ${choice.file}${info ? `, built ${info.builtAt}` : ''}` }];
  const usedDir = choice.kind === 'prebuilt' ? choice.libtorch.libDir : info?.libtorch.libDir;
  if (usedDir && found && realpathOr(found.libDir) !== realpathOr(usedDir) && !process.env.TORCHTRAIN_BUILD_DIR) {
    findings.push({ check: 'addon', status: 'warning',
      detail: `the addon uses libtorch in ${usedDir}, but the search now finds ${found.libDir} first`,
      fix: `${isInstalledPackage(root) ? '`npm rebuild torchtrain`' : '`npm run build:native`'} to build against the one found now` });
  }
  return { findings, addon };
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** GPUs as nvidia-smi lists them (name, driver, memory), or [] when it is not there. */
function nvidiaSmi(): string[] {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0 || !r.stdout) return [];
  return r.stdout.trim().split('\n').filter(Boolean);
}

/** The BLAS/LAPACK libraries mapped into this process (after libtorch is loaded), by real file. */
function loadedBlas(): string[] {
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    const files = new Set(maps.split('\n').map((l) => l.slice(l.indexOf('/'))).filter((f) => f.startsWith('/') && /blas|lapack|mkl|blis|flexiblas/i.test(path.basename(f)) && !/cublas/i.test(f)));
    return [...files];
  } catch {
    return [];
  }
}

async function checkRuntime(found: FoundLibtorch | null, gpus: string[], root: string): Promise<{ findings: Finding[]; blas: string[] }> {
  let torch: typeof import('../core/torch.js').torch;
  try {
    ({ torch } = await import('../core/torch.js'));
  } catch (err) {
    const message = (err as Error).message;
    return { blas: [], findings: [{ check: 'load', status: 'problem', detail: message.split('\nFix:')[0], fix: message.includes('Fix:') ? message.split('Fix:')[1].trim() : rebuildHint(root) }] };
  }
  const findings: Finding[] = [];
  const i = torch.info();
  const product = torch.scope(() => torch.ones([2, 2]).matmul(torch.ones([2, 2])).sum().item());
  findings.push(product === 8
    ? { check: 'load', status: 'ok', detail: `libtorch ${i.libtorchVersion} loaded and computes (a 2x2 matrix product)` }
    : { check: 'load', status: 'problem', detail: `a 2x2 matrix product of ones summed to ${product}, not 8`, fix: 'report this with `torchtrain doctor --json`' });
  if (!i.cudaLinked) {
    findings.push(gpus.length > 0
      ? { check: 'CUDA', status: 'warning', detail: `this libtorch is CPU-only, but nvidia-smi lists ${gpus.length} GPU(s)`, fix: `use a CUDA build of PyTorch: .venv/bin/pip install torch==${pinnedTorchVersion(root)} (PyPI's default build has CUDA), then \`npm rebuild torchtrain\`` }
      : { check: 'CUDA', status: 'ok', detail: 'not in this libtorch (CPU only); no NVIDIA GPU seen' });
  } else if (i.cudaAvailable) {
    findings.push({ check: 'CUDA', status: 'ok', detail: `available: ${i.cudaDeviceCount} device(s)${found?.cudaVersion ? `, CUDA ${found.cudaVersion}` : ''}` });
  } else {
    findings.push(gpus.length > 0
      ? { check: 'CUDA', status: 'problem', detail: `libtorch has CUDA${found?.cudaVersion ? ` ${found.cudaVersion}` : ''} but sees no device, while nvidia-smi lists ${gpus.length}`,
        fix: 'the NVIDIA driver is probably older than this CUDA needs: update the driver, or install a PyTorch built for an older CUDA (https://pytorch.org/get-started/locally/), then `npm rebuild torchtrain`' }
      : { check: 'CUDA', status: 'ok', detail: 'linked, but no GPU on this machine (training runs on the CPU)' });
  }
  const blas = loadedBlas();
  const math = [i.mkl ? 'MKL' : null, i.mkldnn ? 'oneDNN' : null].filter(Boolean).join(', ');
  const reference = blas.some((f) => /\/blas\/libblas\.so/.test(f)) && !blas.some((f) => /openblas|mkl|blis/i.test(f));
  findings.push(reference && !i.mkl
    ? { check: 'BLAS', status: 'warning', detail: `the reference BLAS (${blas.join(', ')}): matrix products run ~20x slower than with OpenBLAS`, fix: 'sudo apt-get install libopenblas0-pthread' }
    : { check: 'BLAS', status: 'ok', detail: [math, ...blas.map((f) => path.basename(path.dirname(f)) + '/' + path.basename(f))].filter(Boolean).join(', ') || 'built into libtorch' });
  const cores = os.availableParallelism();
  findings.push({ check: 'threads', status: 'ok', detail: `${i.numThreads} intra-op, ${i.numInteropThreads} inter-op, ${cores} CPU core(s) (set with torch.setNumThreads or OMP_NUM_THREADS)` });
  return { findings, blas };
}

export async function diagnose(): Promise<DoctorReport> {
  const root = packageRoot();
  const findings = checkNode(root);
  const lib = checkLibtorch(root);
  findings.push(...lib.findings);
  const addon = checkAddon(root, lib.found);
  findings.push(...addon.findings);
  const gpus = nvidiaSmi();
  findings.push({ check: 'GPUs', status: 'ok', detail: gpus.length ? gpus.join('; ') : 'nvidia-smi: not present or no NVIDIA GPU' });
  const runtime = await checkRuntime(lib.found, gpus, root);
  findings.push(...runtime.findings);
  return { healthy: !findings.some((f) => f.status === 'problem'), findings, libtorch: lib.found, addon: addon.addon, gpus, blas: runtime.blas };
}

const MARK: Record<FindingStatus, string> = { ok: 'ok  ', warning: 'warn', problem: 'FAIL' };

export function formatReport(report: DoctorReport): string {
  const width = Math.max(...report.findings.map((f) => f.check.length));
  const lines = report.findings.map((f) => {
    const detail = f.detail.split('\n').join(`\n${' '.repeat(width + 9)}`);
    return `[${MARK[f.status]}] ${f.check.padEnd(width)}  ${detail}${f.fix ? `\n${' '.repeat(width + 9)}fix: ${f.fix}` : ''}`;
  });
  const problems = report.findings.filter((f) => f.status === 'problem').length;
  lines.push('', problems === 0 ? 'torchtrain is ready.' : `${problems} problem(s): see the fix under each FAIL line.`);
  return lines.join('\n');
}

/** Prints the diagnosis (text, or JSON with `json`) and returns the exit code: 0 healthy, 1 problems. */
export async function runDoctor(options: { json?: boolean } = {}): Promise<number> {
  const report = await diagnose();
  console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return report.healthy ? 0 : 1;
}

function runDirectly(): boolean {
  try {
    return Boolean(process.argv[1]) && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

// Run directly (`npx tsx lib/cli/doctor.ts [--json]`, `npm run doctor`).
if (runDirectly()) {
  runDoctor({ json: process.argv.includes('--json') }).then((code) => { process.exitCode = code; }, (err: Error) => {
    console.error(err.message);
    process.exitCode = 1;
  });
}
