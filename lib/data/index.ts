// torchtrain's data pipeline: datasets, samplers, the DataLoader (workers, prefetch, seeded
// shuffling), collation with dynamic padding and attention masks, masked-LM batches, tokenizers
// and readers for JSON lines and IDX files.
export {
  InMemoryDataset, MappedIterableDataset, MappedMapDataset, datasetFromModule, datasetFromSource, isIterableDataset, isMapDataset, mapDataset,
  type Dataset, type DatasetSource, type IterableDataset, type MapDataset, type StreamShard, type Transform, type TransformOptions, type WorkerConstructible,
} from './dataset.js';
export { TensorDataset, type TensorDatasetOptions } from './tensor-dataset.js';
export { JsonlDataset, IndexedJsonlDataset } from './jsonl.js';
export { TextCorpus, type LmLabels, type TextCorpusOptions, type TextCorpusSample, type TokenizedText } from './text-corpus.js';
export { ByteTokenizer, BpeTokenizer, CharTokenizer, type BpeEncodingName, type Tokenizer } from './tokenizers.js';
export { readIdx, parseIdx, writeIdx, encodeIdx, type IdxArray, type IdxData, type IdxDType } from './idx.js';
export { DistributedSampler, RandomSampler, SequentialSampler, type Sampler } from './samplers.js';
export { DataLoader, type DataLoaderOptions } from './loader.js';
export { defaultCollate, plainToTensors, type CollateContext, type CollateFn } from './collate.js';
export { collatePlain, type PlainBatch, type PlainTensor, type PlainValue } from './collate-plain.js';
export { resolveCollateOptions, type CollateOptions, type CollateTask } from './collate-rules.js';
export { maskedLmCollate, type MaskedLmCollateOptions } from './masked-lm.js';
export { SeededRandom, defaultSeed } from './random.js';
export { seedEverything } from './seed.js';
export { DataError, DataLoaderInterrupted } from './errors.js';
