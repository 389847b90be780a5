// Values to and from TorchScript methods. The addon cannot tell a tensor handle from a number,
// so tensors and dicts travel tagged (native/ivalues.h describes the form); the method's schema
// then decides what each value becomes on the C++ side (a JS 2 is an int only where the schema
// asks for one). lib/jit's ScriptModule is their user; they live here because they hold handles.
import { type JitWire } from './native.js';
import { Tensor, describe, wrap } from './tensor.js';

/** What a TorchScript method takes and returns, in JavaScript terms. */
export type ScriptValue =
  | Tensor
  | number
  | bigint
  | boolean
  | string
  | null
  | undefined
  | ScriptValue[]
  | { [key: string]: ScriptValue }
  | Map<string | number | bigint | boolean | Tensor, ScriptValue>;

type Wire = JitWire;

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Encodes one argument; `where` names it in errors. */
export function toWire(value: unknown, where: string, seen: Set<object> = new Set()): Wire {
  if (value === null || value === undefined) return value;
  switch (typeof value) {
    case 'number': case 'bigint': case 'boolean': case 'string':
      return value;
    case 'object':
      break;
    default:
      throw new TypeError(`${where} must be a Tensor, number, boolean, string, null, array or object, got ${describe(value)}`);
  }
  if (value instanceof Tensor) {
    if (value.isDisposed) throw new TypeError(`${where} is a disposed Tensor (freed by dispose() or by the end of its torch.scope)`);
    return { kind: 'tensor', handle: value._h };
  }
  if (seen.has(value)) throw new TypeError(`${where} contains itself; TorchScript values cannot be cyclic`);
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item, i) => toWire(item, `${where}[${i}]`, seen));
    if (value instanceof Map) {
      const keys: Wire[] = [], values: Wire[] = [];
      for (const [k, v] of value) {
        keys.push(toWire(k, `${where} key`, seen));
        values.push(toWire(v, `${where}[${String(k)}]`, seen));
      }
      return { kind: 'dict', keys, values };
    }
    if (ArrayBuffer.isView(value)) throw new TypeError(`${where} is a typed array; make it a tensor first (torch.tensor(...))`);
    if (!isPlainObject(value)) throw new TypeError(`${where} must be a Tensor, number, boolean, string, null, array or plain object, got ${describe(value)}`);
    const keys = Object.keys(value);
    return { kind: 'dict', keys, values: keys.map((k) => toWire((value as Record<string, unknown>)[k], `${where}.${k}`, seen)) };
  } finally {
    seen.delete(value);
  }
}

/**
 * Decodes a result: tensors become tracked Tensors (owned by the current torch.scope, like any
 * op's result), tuples and lists arrays, dicts plain objects (or a Map when a key is not a string).
 */
export function fromWire(value: unknown): ScriptValue {
  if (value === null || typeof value !== 'object') return value as ScriptValue;
  if (Array.isArray(value)) return value.map(fromWire);
  const tagged = value as Exclude<JitWire, null | undefined | number | bigint | boolean | string | JitWire[]>;
  if (tagged.kind === 'tensor') return wrap(tagged.handle);
  const keys = tagged.keys.map(fromWire), values = tagged.values.map(fromWire);
  if (keys.every((k) => typeof k === 'string')) {
    const out: Record<string, ScriptValue> = {};
    keys.forEach((k, i) => (out[k as string] = values[i]));
    return out;
  }
  return new Map(keys.map((k, i) => [k as string | number | bigint | boolean | Tensor, values[i]]));
}
