// seedEverything, as Lightning's seed_everything: one call before anything random is made seeds
// libtorch's generator (CPU and every CUDA device: parameter initialisation, dropout, torch.rand*,
// the masked-LM collate without its own seed) and the default seed of torchtrain's JS-side
// generators (RandomSampler, DistributedSampler and a shuffling DataLoader given no seed).
import { manualSeed } from '../core/runtime.js';
import { setDefaultSeed } from './random.js';

/**
 * Seeds libtorch and torchtrain's data-order generators with one number and returns it. Call it
 * before building the model: the Trainer's config.seed is applied after the model exists, so it
 * does not cover the initial weights. Math.random cannot be seeded; transforms that augment
 * should draw from a SeededRandom (data.SeededRandom) or torch's generator instead.
 */
export function seedEverything(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seedEverything: the seed must be a non-negative integer; got ${seed}`);
  manualSeed(seed);
  setDefaultSeed(seed);
  return seed;
}
