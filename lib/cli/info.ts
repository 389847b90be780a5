// `torchtrain info`: which libtorch is in use and how it was found.
import { torch } from '../index.js';

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
