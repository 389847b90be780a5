// Checkpoints: atomic, verified checkpoint-<step>/ folders, rotation, and what a resume reads.
export { CheckpointManager, CheckpointError, checkpointOptionsSchema, findResumePoint, loadCheckpoint, loadWeights,
  type CheckpointOptions, type CheckpointOptionsInput } from './manager.js';
export { list, readLatest, checkpointName, type CheckpointInfo } from './folder.js';
export { FILES, type CheckpointContents, type TrainerSnapshot, type TrainingParts } from './contents.js';
export { verifyFolder, type Manifest } from './manifest.js';
