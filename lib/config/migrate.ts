// Run-config versions. A file says `version: N`; an older one is migrated step by step to the
// current version, each step returning a note of what it changed (the loader prints them as
// warnings); a newer one is refused with the upgrade command.
//
// Version 1 is the shape of wave 1's TrainingConfig (whose own `version` field is 1): the
// training settings (maxSteps, optimizer, schedule, ...) at the top level of the file, with the
// model, task and data beside them. No release shipped version-1 run files; the migration exists
// so that files written in that flat shape, including a TrainingConfig saved by a wave 1 run with
// model/task/data added, load as version 2, which gathers the training settings under `trainer`.
import { trainingConfigSchema } from '../engine/config.js';
import { RUN_CONFIG_VERSION } from './schema.js';

type Json = Record<string, unknown>;

export class RunConfigVersionError extends Error {
  constructor(readonly problem: string, readonly fix: string) {
    super(`${problem}; fix: ${fix}`);
    this.name = 'RunConfigVersionError';
  }
}

/** The TrainingConfig's keys: in a version-1 file they sit at the top level. */
const TRAINING_KEYS = Object.keys(trainingConfigSchema.shape).filter((k) => k !== 'version');

/** version 1 -> 2: the training settings move under `trainer`. */
function migrate1to2(config: Json): { config: Json; note: string } {
  const out: Json = { version: 2 };
  const trainer: Json = { ...((config.trainer as Json | undefined) ?? {}) };
  const moved: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (key === 'version') continue;
    if (TRAINING_KEYS.includes(key)) {
      trainer[key] = value;
      moved.push(key);
    } else {
      out[key] = value;
    }
  }
  out.trainer = trainer;
  const what = moved.length ? `moved ${moved.join(', ')} under trainer` : 'nothing to move';
  return { config: out, note: `version 1 -> 2: the training settings now live under 'trainer' (${what}); write version: 2 with a trainer section to silence this note` };
}

const MIGRATIONS: Record<number, (config: Json) => { config: Json; note: string }> = { 1: migrate1to2 };

/**
 * The version a file is written in: its `version`, or, when it has none, 1 if training settings
 * sit at the top level (the old flat shape) and the current version otherwise.
 */
export function detectVersion(config: Json): unknown {
  if (config.version !== undefined) return config.version;
  return Object.keys(config).some((k) => TRAINING_KEYS.includes(k)) ? 1 : RUN_CONFIG_VERSION;
}

/** Brings a parsed file to the current version, with a note per step; refuses newer or unknown versions. */
export function migrateRunConfig(config: Json, where = 'the run config'): { config: Json; notes: string[] } {
  const version = detectVersion(config);
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new RunConfigVersionError(`version must be a whole number from 1 to ${RUN_CONFIG_VERSION}; given ${JSON.stringify(version)}`, `write version: ${RUN_CONFIG_VERSION}`);
  }
  if (version > RUN_CONFIG_VERSION) {
    throw new RunConfigVersionError(`${where} is version ${version}, newer than this torchtrain reads (up to version ${RUN_CONFIG_VERSION})`,
      'upgrade torchtrain: npm install torchtrain@latest');
  }
  const notes: string[] = [];
  let current: Json = { ...config, version };
  for (let v = version; v < RUN_CONFIG_VERSION; v++) {
    const step = MIGRATIONS[v]!(current);
    current = step.config;
    notes.push(step.note);
  }
  return { config: current, notes };
}
