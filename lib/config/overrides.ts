// Command-line overrides: `trainer.optimizer.lr=1e-3`, `data.shuffle=false`,
// `trainer.optimizer.betas=[0.9, 0.95]`, `loggers.0.path=log.jsonl`. The value is read as YAML
// (a scalar or a flow collection), so numbers, booleans and lists have their types; where the
// schema wants a string the text is kept as written (`name=007`). A path no object takes is
// refused with the nearest known key.
import { parse as parseYaml } from 'yaml';
import { nearestName } from '../core/validation.js';
import { runConfigProblem } from './errors.js';
import { runConfigSchema } from './schema.js';
import { expectsString, walk } from './schema-walk.js';

type Json = Record<string, unknown>;

export interface ParsedOverride {
  /** The text as given ('trainer.maxSteps=10'). */
  text: string;
  path: (string | number)[];
  value: unknown;
}

const overrideSource = (text: string) => ({ file: `override '${text}'` });

/** Splits `a.b.c=value` into its path and its YAML-read value. */
export function parseOverride(text: string): ParsedOverride & { raw: string } {
  const eq = text.indexOf('=');
  const source = overrideSource(text);
  if (typeof text !== 'string' || eq <= 0) {
    throw runConfigProblem(source, '(override)', `expected key.path=value, given ${JSON.stringify(text)}`, 'write it as e.g. trainer.optimizer.lr=1e-3');
  }
  const keyText = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  const path = keyText.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  if (path.some((k) => k === '')) {
    throw runConfigProblem(source, keyText, 'a path segment is empty', 'write the path with single dots, e.g. trainer.optimizer.lr');
  }
  let value: unknown;
  try {
    value = raw === '' ? '' : parseYaml(raw);
  } catch (error) {
    throw runConfigProblem(source, keyText, `the value ${JSON.stringify(raw)} is not valid YAML (${(error as Error).message.split('\n')[0]})`,
      'quote strings that hold YAML punctuation, and write lists as [a, b]');
  }
  return { text, path, value, raw };
}

/** Applies overrides to a (migrated, unchecked) config object, returning a new object. */
export function applyOverrides(config: Json, overrides: readonly string[]): { config: Json; applied: ParsedOverride[] } {
  let out: Json = structuredClone(config);
  const applied: ParsedOverride[] = [];
  for (const text of overrides) {
    const parsed = parseOverride(text);
    const found = walk(runConfigSchema, parsed.path, out);
    if (!found.ok) {
      const near = nearestName(found.key, found.known);
      const where = found.at.length ? found.at.join('.') : 'the run config';
      const suggestion = near ? [...found.at, near, ...parsed.path.slice(found.at.length + 1)].join('.') : undefined;
      throw runConfigProblem(overrideSource(text), parsed.path.join('.'), `unknown key '${found.key}'${near ? `; did you mean '${near}' (${suggestion})?` : ''} (${where} takes ${found.known.join(', ')})`,
        suggestion ? `write ${suggestion}=${parsed.raw}` : `use one of the keys of ${where}`);
    }
    const value = typeof parsed.value !== 'string' && parsed.value !== null && typeof parsed.value !== 'object' && expectsString(runConfigSchema, parsed.path, out)
      ? parsed.raw : parsed.value;
    out = setAt(out, parsed.path, value, text);
    applied.push({ text, path: parsed.path, value });
  }
  return { config: out, applied };
}

function setAt(root: Json, path: readonly (string | number)[], value: unknown, text: string): Json {
  let node: Record<string | number, unknown> = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const next = node[key];
    if (next === undefined || next === null) {
      node[key] = typeof path[i + 1] === 'number' ? [] : {};
    } else if (typeof next !== 'object') {
      throw runConfigProblem(overrideSource(text), path.slice(0, i + 1).join('.'), `holds ${JSON.stringify(next)}, not an object, so it has no key '${path[i + 1]}'`,
        `set ${path.slice(0, i + 1).join('.')} itself, or correct the path`);
    }
    node = node[key] as Record<string | number, unknown>;
  }
  node[path[path.length - 1]!] = value;
  return root;
}
