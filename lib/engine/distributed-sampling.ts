// Each data-parallel rank trains on its own shard of the data. A DataLoader over a map-style
// dataset is sharded automatically, as Lightning does (its sampler becomes a DistributedSampler
// with the same shuffling and seed: PyTorch's padding to a multiple of the world size, the
// seed + epoch permutation, rank r taking positions r, r + world, ...); the Trainer's setEpoch
// per epoch reaches it through the loader. What the Trainer cannot shard it says, once, on rank 0.
import { DataLoader } from '../data/loader.js';
import { DistributedSampler, RandomSampler, SequentialSampler } from '../data/samplers.js';
import { type Batch } from '../loss/types.js';
import { type BatchSource } from './batch-source.js';
import { type DataParallel } from './distributed-data-parallel.js';

function warn(ddp: DataParallel, message: string): void {
  if (ddp.isMain) process.emitWarning(`data-parallel training on ${ddp.worldSize} ranks: ${message}`, 'TrainerWarning');
}

/** The training source this rank reads: its shard of a DataLoader, or the source as given. */
export function shardTrainingSource(source: BatchSource, ddp: DataParallel): BatchSource {
  if (!(source instanceof DataLoader)) {
    warn(ddp, 'the training data is not a DataLoader, so the Trainer cannot shard it: every rank trains on what its own source yields. ' +
      'Give each rank its own shard with the same number of batches (data.DistributedSampler), or pass a DataLoader and the Trainer shards it');
    return source;
  }
  const loader = source as DataLoader<unknown, Batch>;
  const sampler = loader.sampler;
  if (sampler === undefined) {
    warn(ddp, 'the training DataLoader reads an iterable dataset, which has no indices to shard: every rank reads the whole stream. ' +
      'Shard the stream per rank yourself (distributed.getRank()), with the same number of batches on every rank, or index it (e.g. JsonlDataset.index())');
    return source;
  }
  if (sampler instanceof DistributedSampler) {
    if (sampler.rank !== ddp.rank || sampler.worldSize !== ddp.worldSize) {
      throw new RangeError(`the training DataLoader's DistributedSampler is for rank ${sampler.rank} of ${sampler.worldSize}, but this process is rank ${ddp.rank} of ${ddp.worldSize}; ` +
        'make it with { rank: distributed.getRank(), worldSize: distributed.getWorldSize() }, or give the loader no sampler and let the Trainer shard it');
    }
    return source;
  }
  const size = (loader.dataset as { length: number }).length;
  if (sampler instanceof RandomSampler) {
    if (sampler.replacement || sampler.length !== size) {
      warn(ddp, 'the training DataLoader\'s RandomSampler draws with replacement or a numSamples of its own; sharded, each epoch is a permutation of the whole dataset instead');
    }
    return loader.withSampler(new DistributedSampler(size, { rank: ddp.rank, worldSize: ddp.worldSize, shuffle: true, seed: sampler.seed }));
  }
  if (sampler instanceof SequentialSampler) {
    return loader.withSampler(new DistributedSampler(size, { rank: ddp.rank, worldSize: ddp.worldSize, shuffle: false, seed: 0 }));
  }
  warn(ddp, `the training DataLoader has its own sampler (${sampler.constructor.name}), which the Trainer leaves as it is: unless it shards by rank, every rank trains on the same data. ` +
    'Use data.DistributedSampler, or make your sampler yield rank r\'s share (with the same length on every rank)');
  return source;
}
