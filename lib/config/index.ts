// Run configs (`config` in the public API): one versioned file for a whole run, read from YAML or
// JSON with ${ENV} and overrides, built in code with TrainingConfigBuilder, and turned into a
// Trainer by the factory (getTrainer, buildRun, createTrainerForModelType).
export {
  RUN_CONFIG_VERSION, ZOO_NAMES, runConfigSchema,
  type RunConfig, type RunConfigInput, type ModelSource, type DataSource, type TokenizerSpec, type LoggerConfig, type CallbacksConfig, type ZooName,
} from './schema.js';
export { load, loadDetailed, resolve, resolveDetailed, toYaml, type LoadOptions, type LoadedRunConfig } from './load.js';
export { RunConfigError, type RunConfigIssue } from './errors.js';
export { RunConfigVersionError, migrateRunConfig } from './migrate.js';
export { TrainingConfigBuilder, type ZooConfigInput } from './builder.js';
export { buildRun, getTrainer, runTask, type BuildRunOptions, type BuiltRun } from './factory.js';
export { createTrainerForModelType, buildRunForModelType, runConfigForModelType, MODEL_TYPES, type ModelType, type ModelTypeOptions } from './families.js';
export { RunDataError } from './datasets.js';
export { RunModelError } from './zoo.js';
export { DEFAULT_LOGGER_PATHS } from './run-callbacks.js';
