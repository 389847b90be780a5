// `torchtrain info`: which libtorch is in use and how it was found. The addon is loaded only when
// printInfo() runs (not when this module is imported), so the CLI can list its commands, and
// `torchtrain doctor` can diagnose, when the addon does not load.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function printInfo(): Promise<void> {
  const { torch } = await import('../core/torch.js');
  const i = torch.info();
  const lines: [string, string][] = [
    ['torchtrain', i.torchtrainVersion],
    ['libtorch', `${i.libtorchVersion} (found via ${i.libtorchSource ?? 'unknown'}: ${i.libtorchDir ?? '?'})`],
    ['CUDA', i.cudaLinked ? (i.cudaAvailable ? `available, ${i.cudaDeviceCount} device(s)` : 'linked, but no device available') : 'not in this libtorch'],
    ['threads', `${i.numThreads} intra-op, ${i.numInteropThreads} inter-op`],
    ['math libraries', [i.mkl ? 'MKL' : null, i.mkldnn ? 'oneDNN' : null].filter(Boolean).join(', ') || 'system BLAS'],
    ['C++ ABI', i.cxx11Abi ? 'cxx11' : 'pre-cxx11'],
    ['addon', i.addon],
    ['parity reference', i.referencePython ?? 'none'],
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) console.log(`${k.padEnd(width)}  ${v}`);
}

// Run directly (`npx tsx lib/cli/info.ts`, `npm run info`): print.
function runDirectly(): boolean {
  try {
    return Boolean(process.argv[1]) && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (runDirectly()) {
  printInfo().catch((err: Error) => {
    console.error(err.message);
    process.exitCode = 1;
  });
}
