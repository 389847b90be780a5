// torchtrain's engine: the Trainer and what it is built from.
export { Trainer, type TrainerOptions, type TrainerStateDict } from './trainer.js';
export { type TrainerState, initialTrainerState, parseTrainerState } from './trainer-state.js';
export { OptimizerStep, type OptimizerStepOptions, type OptimizerStepResult } from './optimizer-step.js';
export { NonFiniteError } from './non-finite-guard.js';
export { type Prediction } from './validation-loop.js';
export { parseTrainingConfig, ConfigError, type TrainingConfig, type TrainingConfigInput } from './config.js';
export { DefaultHooks, type TrainingHooks, type TrainerView, type StepInfo, type OptimizerUpdateInfo, type ValidationBatchInfo, type EpochResult, type FitResult } from './hooks.js';
export { EarlyStopping, LearningRateMonitor, ProgressBar, GradientMonitorCallback } from './callbacks.js';
export { GradientMonitor, type GradientHealth, type GradientMonitorOptions } from './gradient-monitor.js';
export { GradientAccumulator, type AccumulationWindow } from './gradient-accumulator.js';
export { StandardStrategy, FinetuneStrategy, type TrainingStrategy, type FinetuneOptions } from './strategies.js';
export { extensions, type Extension } from './extensions.js';
export { type BatchSource } from './batch-source.js';
export * from './adapters/index.js';
