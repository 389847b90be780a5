// The public surface the fuzz calls: walks lib/index.ts's exports (torch.*, nn, optim, amp, io,
// jit, data, losses, models, engine, task, metrics) and lists every function, every class's
// constructor and static functions, and every method, getter and setter on its prototype chain
// (Tensor's included). Nothing is listed by hand, so a new export is fuzzed the day it lands.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as api from '../../lib/index.js';

const LIB = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../lib');

/**
 * 'Class#member' for every TypeScript `private` or `protected` member in lib/: not public API, so
 * not fuzzed (at run time they sit on the prototype beside the public ones).
 */
export function nonPublicMembers(): Set<string> {
  const out = new Set<string>();
  const files = readdirSync(LIB, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const text = readFileSync(path.join(LIB, file), 'utf8');
    const classes = [...text.matchAll(/\bclass\s+(\w+)/g)].map((m) => ({ name: m[1], at: m.index! }));
    for (const m of text.matchAll(/^\s+(?:private|protected)\s+(?:static\s+)?(?:readonly\s+)?(?:async\s+)?(?:\*\s*)?(?:(?:get|set)\s+)?(\w+)\s*[(<:=;!?]/gm)) {
      const owner = classes.filter((c) => c.at < m.index!).pop();
      if (owner) out.add(`${owner.name}#${m[1]}`);
    }
  }
  return out;
}

export type TargetKind = 'call' | 'construct' | 'method' | 'get' | 'set';

export interface Target {
  /** e.g. 'torch.add', 'new nn.Linear', 'Tensor#add', 'get Tensor#shape', 'set Tensor#grad'. */
  name: string;
  kind: TargetKind;
  fn: (...args: unknown[]) => unknown;
  /** `this` of a call: the namespace object or class it was found on. */
  self?: unknown;
  /** For methods, getters and setters: the class whose instances they need. */
  cls?: abstract new (...args: never[]) => unknown;
}

const HIDDEN = nonPublicMembers();
const SKIP_STATIC = new Set(['length', 'name', 'prototype', 'caller', 'arguments']);

export function isClass(fn: unknown): fn is abstract new (...args: never[]) => unknown {
  return typeof fn === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

function keyName(key: string | symbol): string {
  return typeof key === 'symbol' ? `[${key.description ?? 'symbol'}]` : key;
}

/** Methods, getters and setters of a prototype chain, each listed once, under the class that defines it. */
export function prototypeTargets(cls: abstract new (...args: never[]) => unknown, seenMembers: Set<string>, hidden = HIDDEN): Target[] {
  const out: Target[] = [];
  for (let p = cls.prototype as object | null; p && p !== Object.prototype && p !== Function.prototype; p = Object.getPrototypeOf(p)) {
    const owner = (p as { constructor?: abstract new (...args: never[]) => unknown }).constructor ?? cls;
    for (const key of Reflect.ownKeys(p)) {
      if (key === 'constructor') continue;
      const id = `${owner.name}#${keyName(key)}`;
      if (seenMembers.has(id) || hidden.has(id)) continue;
      seenMembers.add(id);
      const d = Object.getOwnPropertyDescriptor(p, key)!;
      if (typeof d.value === 'function') out.push({ name: id, kind: 'method', fn: d.value, cls: owner });
      if (d.get) out.push({ name: `get ${id}`, kind: 'get', fn: d.get, cls: owner });
      if (d.set) out.push({ name: `set ${id}`, kind: 'set', fn: d.set, cls: owner });
    }
  }
  return out;
}

/** Every callable of the public API, in a fixed order (so a seed picks the same ones every run). */
export function apiTargets(root: Record<string, unknown> = api as unknown as Record<string, unknown>): Target[] {
  const out: Target[] = [];
  const seenObjects = new Set<unknown>();
  const seenClasses = new Set<unknown>();
  const seenMembers = new Set<string>();
  const seenFunctions = new Set<unknown>();

  const visit = (value: unknown, path: string, self: unknown, depth: number): void => {
    if (typeof value === 'function') {
      if (isClass(value)) {
        if (seenClasses.has(value)) return;
        seenClasses.add(value);
        out.push({ name: `new ${path}`, kind: 'construct', fn: value as never });
        for (const key of Reflect.ownKeys(value)) {
          if (typeof key === 'string' && (SKIP_STATIC.has(key) || HIDDEN.has(`${value.name}#${key}`))) continue;
          const d = Object.getOwnPropertyDescriptor(value, key)!;
          if (typeof d.value === 'function' || (d.value && typeof d.value === 'object')) visit(d.value, `${path}.${keyName(key)}`, value, depth + 1);
        }
        out.push(...prototypeTargets(value, seenMembers));
        return;
      }
      if (seenFunctions.has(value)) return;
      seenFunctions.add(value);
      out.push({ name: path, kind: 'call', fn: value as never, self });
      return;
    }
    if (!value || typeof value !== 'object' || depth > 4 || seenObjects.has(value)) return;
    if (ArrayBuffer.isView(value) || value instanceof api.Tensor) return;
    seenObjects.add(value);
    for (const key of Object.keys(value).sort()) visit((value as Record<string, unknown>)[key], `${path}.${key}`, value, depth + 1);
    // An instance exported as a value (losses.registry): its class's methods, bound to it.
    const proto = Object.getPrototypeOf(value);
    if (proto && proto !== Object.prototype && !Array.isArray(value)) {
      for (const t of prototypeTargets(proto.constructor, seenMembers)) if (t.kind === 'method') out.push({ ...t, name: `${path}.${t.name.split('#')[1]}`, kind: 'call', self: value, cls: undefined });
    }
  };

  for (const key of Object.keys(root).sort()) visit(root[key], key, root, 0);
  return out;
}
