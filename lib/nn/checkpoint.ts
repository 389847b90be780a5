// Activation checkpointing, as torch.utils.checkpoint (its reentrant variant): the forward runs
// without autograd and keeps only the block's inputs; backward runs the block again (same RNG
// state, same autocast state, grad on) and backpropagates through that recomputation. Memory
// for a stack of N blocks drops from N blocks' activations to N inputs plus one block's
// activations, for about one extra forward per step.
import { isGradEnabled, noGrad, attachRecompute } from '../core/autograd.js';
import { getRngState, setRngState } from '../core/runtime.js';
import { scope } from '../core/scope.js';
import { Tensor, describe } from '../core/tensor.js';

export interface CheckpointOptions {
  /**
   * Restore the RNG state of the forward before recomputing, so dropout draws the same mask
   * (torch's preserve_rng_state). Default true; false saves the state copies when the block
   * draws no random numbers.
   */
  preserveRngState?: boolean;
}

/** The generators a block on these inputs may draw from: the CPU's and each CUDA device's. */
function rngDevices(inputs: readonly Tensor[]): string[] {
  const devices = new Set(['cpu']);
  for (const t of inputs) if (t.device.startsWith('cuda')) devices.add(t.device.includes(':') ? t.device : 'cuda:0');
  return [...devices];
}

function snapshotRng(devices: string[]): [string, Uint8Array][] {
  return devices.map((d) => [d, getRngState(d === 'cpu' ? undefined : d)]);
}

function restoreRng(states: [string, Uint8Array][]): void {
  for (const [d, s] of states) setRngState(s, d === 'cpu' ? undefined : d);
}

/**
 * Runs fn(...inputs) without storing its activations and returns its output; in backward, fn
 * runs again to rebuild them. fn must be a pure function of its inputs and the parameters it
 * uses (pass every tensor it reads as an input, masks included, so they live until backward)
 * and return one Tensor. Gradients reach the inputs that require grad and, through the
 * recomputation, every parameter fn uses; use it with backward() (torch.autograd.grad with
 * respect to parameters inside fn is not supported, as with torch's reentrant checkpoint).
 * With grad off (validation, noGrad) it is a plain call.
 */
export function checkpoint(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: CheckpointOptions = {}): Tensor {
  if (typeof fn !== 'function') throw new TypeError(`checkpoint: expected the block as a function, got ${describe(fn)}`);
  if (!Array.isArray(inputs)) throw new TypeError(`checkpoint: inputs must be an array of Tensors, got ${describe(inputs)}`);
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`checkpoint: inputs[${i}] must be a Tensor, got ${describe(t)}`);
  });
  if (!isGradEnabled()) return fn(...inputs);
  const rng = options.preserveRngState === false ? null : snapshotRng(rngDevices(inputs));
  const output = noGrad(() => scope(() => {
    const out = fn(...inputs);
    if (!(out instanceof Tensor)) throw new TypeError(`checkpoint: the block must return one Tensor, got ${describe(out)}`);
    return out;
  }));
  const attached = attachRecompute(output, inputs, (gradOutput, detached) => {
    // Fork the RNG: replay the forward's draws, then put the stream back where backward found it.
    const now = rng ? snapshotRng(rng.map(([d]) => d)) : null;
    if (rng) restoreRng(rng);
    try {
      scope(() => {
        const out = fn(...detached);
        if (out.requiresGrad) out.backward(gradOutput);
      });
    } finally {
      if (now) restoreRng(now);
    }
  });
  output.dispose();
  return attached;
}
