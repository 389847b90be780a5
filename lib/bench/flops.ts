// Tokens/s, achieved TFLOP/s and MFU (model FLOP utilisation) of a transformer step on CUDA.
// FLOPs per step follow the usual estimate for training (Kaplan et al. 2020, as nanoGPT's
// estimate_mfu): 6 N per token for the weights' matmuls (forward 2N, backward 4N) plus the
// attention's 12 L T d per token (the score and value matmuls, forward and backward).
import type { Throughput } from './types.js';

/** Dense bf16 tensor-core peaks in TFLOP/s (vendor datasheets, without sparsity), matched by device name. */
export const PEAK_BF16_TFLOPS: readonly { match: RegExp; name: string; tflops: number }[] = [
  { match: /H200/i, name: 'H200', tflops: 989 },
  { match: /H100/i, name: 'H100 SXM', tflops: 989 },
  { match: /GH200/i, name: 'GH200', tflops: 989 },
  { match: /B200/i, name: 'B200', tflops: 2250 },
  { match: /A100/i, name: 'A100', tflops: 312 },
  { match: /A10G/i, name: 'A10G', tflops: 70 },
  { match: /\bA10\b/i, name: 'A10', tflops: 125 },
  { match: /L40S/i, name: 'L40S', tflops: 362 },
  { match: /\bL4\b/i, name: 'L4', tflops: 121 },
  { match: /RTX 4090/i, name: 'RTX 4090', tflops: 165 },
  { match: /RTX 3090/i, name: 'RTX 3090', tflops: 71 },
  { match: /V100/i, name: 'V100 (fp16)', tflops: 125 },
  { match: /T4/i, name: 'T4 (fp16)', tflops: 65 },
];

export function peakTFlops(deviceName: string | null): { name: string; tflops: number } | null {
  if (!deviceName) return null;
  const hit = PEAK_BF16_TFLOPS.find((p) => p.match.test(deviceName));
  return hit ? { name: hit.name, tflops: hit.tflops } : null;
}

/** Training FLOPs of one step of a GPT: 6 N T + 12 L T^2 d per sequence (N: non-embedding parameters). */
export function transformerTrainingFlops(c: { parameters: number; nLayer: number; blockSize: number; nEmbd: number }, sequences: number): number {
  const perToken = 6 * c.parameters + 12 * c.nLayer * c.blockSize * c.nEmbd;
  return perToken * c.blockSize * sequences;
}

export function throughput(msPerStep: number, perStep: { tokens: number; flops: number }, deviceName: string | null): Throughput {
  const seconds = msPerStep / 1000;
  const achievedTFlops = perStep.flops / seconds / 1e12;
  const peak = peakTFlops(deviceName);
  return {
    tokensPerSecond: perStep.tokens / seconds,
    achievedTFlops,
    mfu: peak ? achievedTFlops / peak.tflops : null,
    peakTFlops: peak?.tflops ?? null,
    ...(peak ? {} : { note: `no peak known for device '${deviceName ?? 'unknown'}': MFU omitted (add it to PEAK_BF16_TFLOPS in lib/bench/flops.ts)` }),
  };
}
