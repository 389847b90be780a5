// The one place a zod error becomes text. Every external input (TaskSpec, model configs, loss
// options, data options, the training config) is checked by a zod schema, and each problem is
// reported the same way: "field: expected ...; given ...; fix: ...". It lives in lib/core so that
// every layer can use it; it needs zod's types only, never zod itself.
import type { z } from 'zod';

export type ZodIssue = z.core.$ZodIssue;

/** One problem of an input, in parts and as a line of text. */
export interface ValidationIssue {
  /** The dotted path of the field ('fields.inputs', 'widths.1'), or the root's name. */
  field: string;
  /** What the field must be: zod's own words ("Too small: expected number to be >0"). */
  expected: string;
  /** The value given, shortened (undefined for custom rules, whose message says it). */
  given: string | undefined;
  /** How to correct it. */
  fix: string;
  /** The whole line: "field: expected; given ...; fix: ...". */
  text: string;
}

export interface ValidationFormat {
  /** How an issue about the whole input is labelled ('(options)', '(config)'); '(input)' by default. */
  root?: string;
  /**
   * The keys the schema knows, with the name of what takes them ({ owner: "loss 'clip'", keys }):
   * an unknown key is then reported as "key: not an option of <owner>; it takes <keys>".
   */
  known?: { owner: string; keys: readonly string[] };
  /** Fixes for particular fields (dotted paths), instead of the generic one. */
  fixes?: Record<string, string>;
}

/** A value as it appears in a message: JSON, cut at 60 characters. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    if (text === undefined) return typeof value === 'function' ? 'a function' : String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
}

/** The value at a zod issue's path inside the input (undefined where the path leads nowhere). */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function limit(issue: { minimum?: number | bigint; maximum?: number | bigint; inclusive?: boolean }, small: boolean): string {
  const bound = small ? issue.minimum : issue.maximum;
  return `${small ? (issue.inclusive ? '>=' : '>') : (issue.inclusive ? '<=' : '<')} ${String(bound)}`;
}

function genericFix(issue: ZodIssue, field: string, given: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return given === undefined ? `set ${field} (${issue.expected})` : `give ${field} a value of type ${issue.expected}`;
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string' || issue.origin === 'set'
        ? `give ${field} a length ${limit(issue, true)}` : `use a value ${limit(issue, true)}`;
    case 'too_big':
      return issue.origin === 'array' || issue.origin === 'string' || issue.origin === 'set'
        ? `give ${field} a length ${limit(issue, false)}` : `use a value ${limit(issue, false)}`;
    case 'invalid_value': {
      const near = typeof given === 'string' ? nearestName(given, issue.values.filter((v): v is string => typeof v === 'string')) : undefined;
      const all = issue.values.map((v) => describeValue(v)).join(', ');
      return near === undefined ? `use one of ${all}` : `did you mean ${describeValue(near)}? (one of ${all})`;
    }
    case 'not_multiple_of': return `use a multiple of ${issue.divisor}`;
    case 'invalid_format': return `give a ${issue.format} string`;
    case 'invalid_union': return `give ${field} one of the forms the documentation lists`;
    default: return `correct ${field}`;
  }
}

/** Each issue of a zod error, with the value it concerns taken from `input`. */
export function validationIssues(error: { issues: readonly ZodIssue[] }, input: unknown, format: ValidationFormat = {}): ValidationIssue[] {
  const root = format.root ?? '(input)';
  const out: ValidationIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.');
    const field = path || root;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const name = path ? `${path}.${key}` : key;
        const fix = `remove ${key} or correct its spelling`;
        if (format.known) {
          const takes = format.known.keys.length ? format.known.keys.join(', ') : 'no options';
          out.push({ field: name, expected: `an option of ${format.known.owner} (${takes})`, given: describeValue(valueAt(input, [...issue.path, key])), fix,
            text: `${name}: not an option of ${format.known.owner}; it takes ${takes}; fix: ${fix}` });
        } else {
          out.push({ field, expected: issue.message, given: key, fix, text: `${field}: Unrecognized key: "${key}"; fix: ${fix}` });
        }
      }
      continue;
    }
    const value = valueAt(input, issue.path);
    if (issue.code === 'custom') {
      // A rule of the schema's author, whose message already says what was wrong and what was given.
      const fix = format.fixes?.[path] ?? (typeof issue.params?.fix === 'string' ? issue.params.fix : undefined);
      out.push({ field, expected: issue.message, given: undefined, fix: fix ?? '', text: `${field}: ${issue.message}${fix ? `; fix: ${fix}` : ''}` });
      continue;
    }
    const given = describeValue(value);
    const fix = format.fixes?.[path] ?? genericFix(issue, field, value);
    out.push({ field, expected: issue.message, given, fix, text: `${field}: ${issue.message}; given ${given}; fix: ${fix}` });
  }
  return out;
}

/** The issues of a zod error as lines "field: expected; given ...; fix: ...". */
export function formatZodError(error: { issues: readonly ZodIssue[] }, input: unknown, format: ValidationFormat = {}): string[] {
  return validationIssues(error, input, format).map((i) => i.text);
}

/**
 * Parses `input` with `schema`; on failure throws the error `fail` makes from the formatted
 * issues (each caller keeps its own error class and heading).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, fail: (issues: ValidationIssue[]) => Error, format: ValidationFormat = {}): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw fail(validationIssues(result.error, input, format));
}

/**
 * The candidate closest to `name` by edit distance (case-insensitive; a swap of two neighbouring
 * letters counts as one edit, so 'gtp' finds 'gpt'), if close enough to be a likely typo.
 */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  const a = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(a, candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(a.length / 3)) ? best : undefined;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], before[j - 2] + 1);
    }
    [before, previous] = [previous, row];
  }
  return previous[b.length];
}

/**
 * A size argument of a layer or function (features, channels, an embedding count): a non-negative
 * safe integer. Anything else is an error naming it, e.g. checkedSize(-1, 'nn.Linear', 'inFeatures')
 * throws "nn.Linear: inFeatures must be a non-negative integer, got -1", where the tensor factory
 * underneath would only say which of its own arguments was bad.
 */
export function checkedSize(value: unknown, owner: string, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${owner}: ${name} must be a non-negative integer, got ${describeValue(value)}`);
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${owner}: ${name} must be a non-negative integer, got ${value}`);
  return value;
}
