// The run commands: fit, resume, validate, predict, export. Each returns its exit code; errors
// are thrown (main.ts prints them and exits 1).
import fs from 'node:fs';
import path from 'node:path';
import { loadWeights } from '../checkpoint/index.js';
import { type RunConfig } from '../config/schema.js';
import { EXIT } from './errors.js';
import { PipelineOrchestrator } from './pipeline.js';
import { writePredictions } from './predict.js';
import { type RunPaths, defaultRunDir, newestValidCheckpoint, runPaths } from './run-folder.js';
import { builderFor, buildRunParts, exportFromCheckpoint, inRunFolder, loadRunConfig, predictionConfig, runConfigYaml, withRunDefaults } from './run-config.js';
import { SessionManager } from './session.js';

/** The command line as the session records it (without node and the script). */
const commandLine = () => process.argv.slice(2);

export interface FitOptions {
  config: string;
  overrides: string[];
  runDir?: string;
  name?: string;
  skipExport: boolean;
}

export async function fit(o: FitOptions): Promise<number> {
  const loaded = await loadRunConfig(o.config, o.overrides);
  const name = o.name ?? loaded.name;
  const runDir = path.resolve(o.runDir ?? defaultRunDir(name));
  const paths = runPaths(runDir);
  const withDefaults = withRunDefaults(loaded, name);
  const session = SessionManager.create(runDir, { name, command: commandLine() });
  fs.writeFileSync(paths.config, runConfigYaml(withDefaults));
  const runConfig = inRunFolder(withDefaults, paths);
  console.log(`run folder: ${runDir} (session ${session.id})`);
  return runPipeline(runConfig, paths, session, o.skipExport);
}

export async function resume(o: { runDir: string }): Promise<number> {
  const paths = runPaths(o.runDir);
  const session = SessionManager.open(paths.root);
  const before = session.status;
  session.beginAttempt(commandLine());
  console.log(`resuming ${paths.root} (session ${session.id}, was ${before}; last phase done: ${session.lastCompletedPhase() ?? 'none'})`);
  let runConfig;
  try {
    runConfig = runFolderConfig(paths);
  } catch (err) {
    session.finish('failed', { error: (err as Error).message, exitCode: EXIT.error });
    throw err;
  }
  // An export/ folder half-written by the killed attempt is replaced (bundles are written to a
  // temporary folder and renamed, so a complete one is only there when the phase finished).
  return runPipeline(runConfig, paths, session, !session.isDone('export') && session.attempts[0]!.command.includes('--no-export'));
}

async function runPipeline(runConfig: RunConfig, paths: RunPaths, session: ReturnType<typeof SessionManager.open>, skipExport: boolean): Promise<number> {
  const pipeline = new PipelineOrchestrator({ session, paths, checkpointDir: checkpointDirOf(runConfig, paths), builder: builderFor(runConfig, paths), skipExport });
  const outcome = await pipeline.run();
  if (outcome.status === 'interrupted') {
    console.log(`${outcome.reason}`);
    return typeof process.exitCode === 'number' && process.exitCode > 128 ? process.exitCode : 130;
  }
  console.log(`done: ${paths.root}`);
  return EXIT.ok;
}

export interface ValidateOptions {
  runDir?: string;
  config?: string;
  overrides: string[];
  dryRun: boolean;
}

/** Validation metrics as JSON on stdout; --dry-run: only the config check (its resolved YAML). */
export async function validate(o: ValidateOptions): Promise<number> {
  const file = o.config ?? runPaths(o.runDir!).config;
  const runConfig = o.runDir ? runFolderConfig(runPaths(o.runDir), o.overrides) : loadRunConfig(file, o.overrides);
  if (o.dryRun) {
    process.stdout.write(runConfigYaml(runConfig));
    console.error(`config OK: ${file}`);
    return EXIT.ok;
  }
  const parts = await buildRunParts(runConfig, { runDir: undefined, sideEffects: false });
  if (o.runDir) {
    const paths = runPaths(o.runDir);
    const folder = newestValidCheckpoint(checkpointDirOf(runConfig, paths), paths.root);
    loadWeights(folder, parts.model);
    console.error(`weights: ${folder}`);
  }
  if (!parts.val) throw new Error(`the config ${file} has no validation data (data.val): add one to validate`);
  const metrics = await parts.trainer.validate(parts.val);
  console.log(JSON.stringify(metrics));
  return EXIT.ok;
}

export async function predict(o: { runDir: string; input: string; out: string; batchSize: number }): Promise<number> {
  const paths = runPaths(o.runDir);
  if (!fs.existsSync(o.input)) throw new Error(`predict --input ${o.input}: no such file (give a JSON-lines file of samples)`);
  const runConfig = runFolderConfig(paths);
  const folder = newestValidCheckpoint(checkpointDirOf(runConfig, paths), paths.root);
  const parts = await buildRunParts(predictionConfig(runConfig, path.resolve(o.input), o.batchSize), { runDir: undefined, sideEffects: false });
  loadWeights(folder, parts.model);
  const count = await writePredictions(parts.trainer, parts.val!, o.out, parts.task);
  console.error(`${count} predictions from ${folder} written to ${o.out}`);
  return EXIT.ok;
}

export async function exportRun(o: { runDir: string; out: string }): Promise<number> {
  const paths = runPaths(o.runDir);
  const runConfig = runFolderConfig(paths);
  const folder = newestValidCheckpoint(checkpointDirOf(runConfig, paths), paths.root);
  const written = await exportFromCheckpoint(runConfig, paths, folder, path.resolve(o.out));
  console.log(`bundle of ${folder} written to ${written}`);
  return EXIT.ok;
}

/** A run folder's config.yaml with its own paths made absolute against the folder. */
function runFolderConfig(paths: RunPaths, overrides: readonly string[] = []) {
  if (!fs.existsSync(paths.config)) throw new Error(`${paths.root} is not a run folder: it has no config.yaml (pass the folder \`torchtrain fit\` made)`);
  const loaded = loadRunConfig(paths.config, overrides);
  return inRunFolder(withRunDefaults(loaded, loaded.name), paths);
}

/** Where a run's checkpoints are: the config's checkpoint.dir (fit sets it to the run folder's). */
export function checkpointDirOf(runConfig: { checkpoint?: false | { dir?: string } }, paths: RunPaths): string {
  return (runConfig.checkpoint && runConfig.checkpoint.dir) || paths.checkpoints;
}
