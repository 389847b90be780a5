// Run-config problems as text a person can act on: "run.yaml:12: trainer.optimizer.lr: expected
// number; given "fast"; fix: ...". Unions (model and data forms) are reported by the form the
// value meant (the one whose keys it uses), an unknown key with the nearest known one.
import type { z } from 'zod';
import { describeValue, nearestName, validationIssues, type ValidationIssue, type ZodIssue } from '../core/validation.js';
import { walk } from './schema-walk.js';

export interface RunConfigIssue extends ValidationIssue {
  /** The 1-based line in the file, where the YAML parser knows it. */
  line?: number;
}

/** Where a config came from, and how to find the line of a field path in it. */
export interface ConfigSource {
  /** The file (or '(object)' for config.resolve). */
  file: string;
  /** The 1-based line of the value at a path; undefined: not in the file; null: set elsewhere (an override), no line. */
  lineOf?: (path: readonly (string | number)[]) => number | null | undefined;
}

export class RunConfigError extends Error {
  constructor(readonly file: string, readonly issues: RunConfigIssue[]) {
    super(`invalid run config ${file}:\n  ${issues.map((i) => i.text).join('\n  ')}`);
    this.name = 'RunConfigError';
  }
}

type Issue = ZodIssue & { errors?: ZodIssue[][] };

/** How many of an option's issues say "this is not the form the value meant". */
function mismatch(issues: readonly ZodIssue[]): number {
  let score = issues.length;
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys' && issue.path.length === 0) score += 10 * issue.keys.length;
    if (issue.code === 'invalid_type' && issue.path.length <= 1) score += 5;
  }
  return score;
}

/** Replaces each failed union by the issues of the option the value meant (paths made absolute). */
export function flattenUnions(issues: readonly ZodIssue[], input: unknown): ZodIssue[] {
  const out: ZodIssue[] = [];
  for (const issue of issues as readonly Issue[]) {
    const options = issue.code === 'invalid_union' ? issue.errors : undefined;
    const value = valueAtPath(input, issue.path);
    // A union value that is not even an object: its own message lists the forms.
    if (!options?.length || value === null || typeof value !== 'object' || Array.isArray(value)) {
      out.push(issue);
      continue;
    }
    const best = options.reduce((a, b) => (mismatch(b) < mismatch(a) ? b : a));
    const absolute = best.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as ZodIssue);
    out.push(...flattenUnions(absolute, input));
  }
  return out;
}

function valueAtPath(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** The nearest line: the value's own, else its parent's, and so on up. */
function lineNear(source: ConfigSource, path: readonly (string | number)[]): number | undefined {
  if (!source.lineOf) return undefined;
  for (let n = path.length; n >= 0; n--) {
    const line = source.lineOf(path.slice(0, n));
    if (line === null) return undefined;
    if (line !== undefined) return line;
  }
  return undefined;
}

const prefix = (source: ConfigSource, line: number | undefined) => (line !== undefined ? `${source.file}:${line}: ` : '');

/** One issue per problem, with line, field, expected, given and fix. */
export function runConfigIssues(error: { issues: readonly ZodIssue[] }, input: unknown, schema: z.core.$ZodType, source: ConfigSource): RunConfigIssue[] {
  const out: RunConfigIssue[] = [];
  for (const issue of flattenUnions(error.issues, input)) {
    const path = issue.path.map((k) => (typeof k === 'number' ? k : String(k)));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const found = walk(schema, [...path, key], input);
        const known = found.ok ? [] : found.known;
        const field = [...path, key].join('.');
        const near = nearestName(key, known);
        const owner = path.length ? path.join('.') : 'the run config';
        const fix = near ? `rename ${key} to ${near}` : `remove ${key}`;
        const line = lineNear(source, [...path, key]);
        out.push({
          field, expected: `a key of ${owner} (${known.join(', ')})`, given: describeValue(valueAtPath(input, [...path, key])), fix, line,
          text: `${prefix(source, line)}${field}: unknown key${near ? `; did you mean '${near}'?` : ''} (${owner} takes ${known.join(', ') || 'no keys'}); fix: ${fix}`,
        });
      }
      continue;
    }
    const unionFix = issue.code === 'invalid_union' ? { [path.join('.')]: `write ${path.join('.') || 'the config'} in one of the forms listed (see README.md, "Config files")` } : undefined;
    for (const one of validationIssues({ issues: [{ ...issue, path } as ZodIssue] }, input, { root: '(config)', fixes: unionFix })) {
      const line = lineNear(source, path);
      out.push({ ...one, line, text: prefix(source, line) + one.text });
    }
  }
  return out;
}

/** An error for problems found outside zod (versions, ${ENV}, overrides), in the same form. */
export function runConfigProblem(source: ConfigSource, field: string, message: string, fix: string, line?: number): RunConfigError {
  const where = line !== undefined ? prefix(source, line) : source.file === '(object)' ? '' : `${source.file}: `;
  const text = `${where}${field}: ${message}; fix: ${fix}`;
  return new RunConfigError(source.file, [{ field, expected: message, given: undefined, fix, line, text }]);
}
