// Reading the run-config schema itself: which keys an object at a path takes (for "did you
// mean" suggestions), and what kind of value a path holds (so that `--set name=123` stays a
// string). Unions are resolved by the value at hand (a model with `zoo` is the zoo form).
import type { z } from 'zod';
import { ZOO_CONFIG_SCHEMAS, type ZooName } from './schema.js';

type Node = z.core.$ZodType;
type Key = string | number;

interface Def {
  type: string;
  shape?: Record<string, Node>;
  innerType?: Node;
  in?: Node;
  options?: Node[];
  element?: Node;
  valueType?: Node;
  entries?: Record<string, unknown>;
  values?: unknown[];
}

const def = (node: Node): Def => (node as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under optional / default / prefault / pipe wrappers. */
export function unwrap(node: Node): Node {
  for (;;) {
    const d = def(node);
    if (d.innerType && ['optional', 'default', 'prefault', 'nullable', 'readonly', 'nonoptional', 'catch'].includes(d.type)) node = d.innerType;
    else if (d.type === 'pipe' && d.in) node = d.in;
    else return node;
  }
}

/** The object keys a schema node takes (undefined when it is not an object). */
export function objectKeys(node: Node): string[] | undefined {
  const d = def(unwrap(node));
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : undefined;
}

/** A union's option that fits `value` best: the one whose keys hold the most of its keys (or `next`). */
function pickOption(options: Node[], value: unknown, next?: Key): Node | undefined {
  const keys = value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
  let best: Node | undefined;
  let bestScore = -1;
  for (const option of options) {
    const known = objectKeys(option);
    if (!known) continue;
    let score = keys.filter((k) => known.includes(k)).length;
    if (next !== undefined && known.includes(String(next))) score += 0.5;
    const type = (value as Record<string, unknown> | undefined)?.type;
    const literal = def(unwrap((def(unwrap(option)).shape ?? {}).type ?? option));
    if (type !== undefined && literal.type === 'literal' && literal.values?.includes(type)) score += 10;
    if (score > bestScore) [best, bestScore] = [option, score];
  }
  return best;
}

/** The model config's schema is the zoo model's own, chosen by `model.zoo`. */
function special(path: readonly Key[], root: unknown): Node | undefined {
  if (path.length === 2 && path[0] === 'model' && path[1] === 'config') {
    const zoo = (root as { model?: { zoo?: unknown } } | undefined)?.model?.zoo;
    if (typeof zoo === 'string' && zoo in ZOO_CONFIG_SCHEMAS) return ZOO_CONFIG_SCHEMAS[zoo as ZooName] as unknown as Node;
  }
  return undefined;
}

const childValue = (value: unknown, key: Key): unknown => (value && typeof value === 'object' ? (value as Record<Key, unknown>)[key] : undefined);

export type WalkResult =
  | { ok: true; node: Node | undefined }
  | { ok: false; at: Key[]; key: string; known: string[] };

/**
 * The schema node at `path` inside `root`'s schema. `ok: false` names the first key no object on
 * the way takes, with the keys it does take; `node: undefined` means the path enters free-form
 * options (a record or unknown), where any key goes.
 */
export function walk(schema: Node, path: readonly Key[], root: unknown): WalkResult {
  let node: Node | undefined = schema;
  let value: unknown = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const replaced = special(path.slice(0, i), root);
    if (replaced) node = replaced;
    if (!node) return { ok: true, node: undefined };
    let d = def(unwrap(node));
    if (d.type === 'union' && d.options) {
      const option = pickOption(d.options, value, key);
      if (!option) return { ok: true, node: undefined };
      d = def(unwrap(option));
    }
    if (d.type === 'object' && d.shape) {
      if (!(String(key) in d.shape)) return { ok: false, at: path.slice(0, i) as Key[], key: String(key), known: Object.keys(d.shape) };
      node = d.shape[String(key)];
    } else if (d.type === 'array' || d.type === 'tuple') {
      node = d.element ?? undefined;
    } else if (d.type === 'record') {
      node = d.valueType;
      if (node && def(unwrap(node)).type === 'unknown') node = undefined;
    } else {
      return { ok: true, node: undefined };
    }
    value = childValue(value, key);
  }
  const replaced = special(path, root);
  return { ok: true, node: replaced ?? node };
}

/** Whether the value at `path` is a string in the schema (a plain string or an enum of strings). */
export function expectsString(schema: Node, path: readonly Key[], root: unknown): boolean {
  const found = walk(schema, path, root);
  if (!found.ok || !found.node) return false;
  const d = def(unwrap(found.node));
  if (d.type === 'string') return true;
  if (d.type === 'enum') return Object.values(d.entries ?? {}).every((v) => typeof v === 'string');
  if (d.type === 'union') return (d.options ?? []).some((o) => def(unwrap(o)).type === 'string' || def(unwrap(o)).type === 'enum');
  return false;
}
