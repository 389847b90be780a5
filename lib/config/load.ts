// Reading run configs: config.load('run.yaml', { overrides: ['trainer.optimizer.lr=1e-3'] }).
// One path for files and objects: parse (YAML or JSON, with line numbers) -> ${ENV} -> migrate
// to the current version -> overrides -> zod -> input paths made absolute. Every problem is a
// RunConfigError naming the file, the line where known, the field, what was expected and given,
// and the fix.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, stringify, type Document } from 'yaml';
import { RunConfigError, runConfigIssues, runConfigProblem, type ConfigSource } from './errors.js';
import { hfPathProblems } from './hf-sources.js';
import { interpolateDocument, type Environment } from './interpolate.js';
import { RunConfigVersionError, migrateRunConfig } from './migrate.js';
import { applyOverrides } from './overrides.js';
import { resolvePaths } from './paths.js';
import { RUN_CONFIG_VERSION, runConfigSchema, type RunConfig, type RunConfigInput } from './schema.js';

export interface LoadOptions {
  /** `key.path=value` overrides, applied after the file (as `torchtrain fit --set`). */
  overrides?: readonly string[];
  /** The variables ${NAME} reads (default: process.env). */
  env?: Environment;
  /** Migration notes are printed as warnings unless false (they are returned by loadDetailed either way). */
  warn?: boolean;
}

export interface LoadedRunConfig {
  config: RunConfig;
  /** What migrating from an older version changed (empty when the file is current). */
  notes: string[];
  /** The file read (absolute), or '(object)'. */
  file: string;
}

type Json = Record<string, unknown>;

/** Reads, checks and resolves a run config file; the result is what getTrainer takes. */
export function load(file: string, options: LoadOptions = {}): RunConfig {
  return loadDetailed(file, options).config;
}

/** load(), also returning the migration notes and the file's absolute path. */
export function loadDetailed(file: string, options: LoadOptions = {}): LoadedRunConfig {
  if (typeof file !== 'string' || file === '') throw new TypeError(`config.load: give the path of a .yaml or .json file, got ${JSON.stringify(file)}`);
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw runConfigProblem({ file: absolute }, '(file)', code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? (error as Error).message})`,
      'check the path (relative paths are taken from the current folder)');
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const source: ConfigSource = { file: absolute, lineOf: (p) => lineOf(doc, lines, p) };
  if (doc.errors.length) {
    const issues = doc.errors.map((e) => {
      const line = lines.linePos(e.pos[0]).line;
      const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return { field: '(file)', expected: 'valid YAML or JSON', given: undefined, fix: 'correct the syntax at that line', line, text: `${absolute}:${line}: ${message}; fix: correct the syntax at that line` };
    });
    throw new RunConfigError(absolute, issues);
  }
  interpolateDocument(doc, options.env ?? process.env, source, lines);
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  return finish(raw, source, path.dirname(absolute), options);
}

/** Checks and resolves a run config given as an object (no file); relative paths are taken from `baseDir` (default: the current folder). */
export function resolve(input: RunConfigInput | Json, options: LoadOptions & { baseDir?: string } = {}): RunConfig {
  return resolveDetailed(input, options).config;
}

/** resolve(), also returning the migration notes. */
export function resolveDetailed(input: RunConfigInput | Json, options: LoadOptions & { baseDir?: string } = {}): LoadedRunConfig {
  return finish(input, { file: '(object)' }, path.resolve(options.baseDir ?? '.'), options);
}

function finish(raw: unknown, source: ConfigSource, baseDir: string, options: LoadOptions): LoadedRunConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw runConfigProblem(source, '(config)', `expected a mapping of keys (version, name, model, task, data, trainer, ...), given ${Array.isArray(raw) ? 'a list' : JSON.stringify(raw)}`,
      `start from the example in README.md (version: ${RUN_CONFIG_VERSION}, model, task, data, trainer)`, 1);
  }
  let migrated: { config: Json; notes: string[] };
  try {
    migrated = migrateRunConfig(raw as Json, source.file === '(object)' ? 'the run config' : 'the file');
  } catch (error) {
    if (!(error instanceof RunConfigVersionError)) throw error;
    throw runConfigProblem(source, 'version', error.problem, error.fix, source.lineOf?.(['version']) ?? undefined);
  }
  const { config: overridden, applied } = applyOverrides(migrated.config, options.overrides ?? []);
  const overriddenPaths = applied.map((o) => o.path.join('.'));
  const located: ConfigSource = {
    file: source.file,
    // A field set by an override has no line in the file.
    lineOf: (p) => (overriddenPaths.some((o) => `${p.join('.')}.`.startsWith(`${o}.`)) ? null : source.lineOf?.(p) ?? (p[0] === 'trainer' ? source.lineOf?.(p.slice(1)) : undefined)),
  };
  const parsed = runConfigSchema.safeParse(overridden);
  if (!parsed.success) throw new RunConfigError(source.file, runConfigIssues(parsed.error, overridden, runConfigSchema, located));
  if (options.warn !== false) for (const note of migrated.notes) process.emitWarning(`${source.file}: ${note}`, 'RunConfigMigration');
  const config = resolvePaths(parsed.data, baseDir);
  // A Hugging Face path that cannot be read is a config error with its line, not a failure halfway through building.
  const [problem] = hfPathProblems(config);
  if (problem) throw runConfigProblem(source, problem.field, problem.message, problem.fix, located.lineOf?.(problem.field.split('.')) ?? undefined);
  return { config, notes: migrated.notes, file: source.file };
}

/** The 1-based line of the node at `p` in the document (undefined when the path is not in it). */
function lineOf(doc: Document, lines: LineCounter, p: readonly (string | number)[]): number | undefined {
  const node = (p.length === 0 ? doc.contents : doc.getIn(p, true)) as { range?: [number, number, number] } | undefined;
  if (!node || typeof node !== 'object' || !node.range) return undefined;
  return lines.linePos(node.range[0]).line;
}

/** The resolved config as YAML, to write into a run folder (load() reads it back to the same config). */
export function toYaml(config: RunConfig): string {
  return `# torchtrain run config (version ${config.version}), resolved: defaults filled in, paths absolute\n${stringify(config, { lineWidth: 0 })}`;
}
