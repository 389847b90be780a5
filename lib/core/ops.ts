// torch.ops: any registered operator by schema name, through libtorch's dispatcher (autograd
// and autocast apply), for what the typed API does not wrap:
//   torch.ops.aten.addcmul(x, t1, t2, { value: 0.5 })     overload picked from the arguments
//   torch.ops.aten.add.Tensor(x, y, { alpha: 2 })          overload named
//   torch.ops.call('aten::add.Tensor', x, y)               the same, by string
// Keyword options use the schema's names, camelCase or snake_case (keepdim, memoryFormat).
import { native } from './addon.js';
import { noteHostRead } from './host-reads.js';
import { type OperatorSchema, type TensorHandle } from './native.js';
import { DTYPES, dtypeCode } from './dtype.js';
import { Tensor, describe, wrap } from './tensor.js';

type Schema = OperatorSchema;

const schemas = new Map<string, Schema | null>();
const overloadLists = new Map<string, string[]>();

function schemaFor(name: string, overload: string): Schema | null {
  const key = `${name}.${overload}`;
  if (!schemas.has(key)) {
    try {
      schemas.set(key, native.opSchema(name, overload));
    } catch (err) {
      if (err instanceof RangeError) schemas.set(key, null);
      else throw err;
    }
  }
  return schemas.get(key)!;
}

function overloadsOf(name: string): string[] {
  if (!overloadLists.has(name)) {
    // 'out' variants write into a given tensor; they are reachable only by naming them.
    const all: string[] = native.opOverloads(name);
    overloadLists.set(name, all.filter((o) => o !== 'out' && !o.endsWith('_out')).sort((a, b) => (a === '' ? -1 : b === '' ? 1 : 0)));
  }
  return overloadLists.get(name)!;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

function fits(type: string, value: unknown): boolean {
  if (type.endsWith('?')) return value === null || value === undefined || fits(type.slice(0, -1), value);
  if (value === undefined) return false;
  const list = type.match(/^(.*)\[\d*\]$/);
  if (list) {
    const elem = list[1];
    if ((elem === 'int' || elem === 'SymInt') && typeof value === 'number') return Number.isInteger(value);
    return Array.isArray(value) && value.every((v) => fits(elem, v));
  }
  switch (type) {
    case 'Tensor': return value instanceof Tensor;
    case 'int': case 'SymInt': return (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint';
    case 'float': return typeof value === 'number';
    case 'bool': return typeof value === 'boolean';
    case 'Scalar': return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint';
    case 'str': case 'Device': case 'Layout': case 'MemoryFormat': return typeof value === 'string';
    case 'ScalarType': return typeof value === 'string' && (DTYPES as string[]).includes(value);
    case 'Generator': return value === null;
    default: return false;
  }
}

function convert(type: string, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (value instanceof Tensor) return value._h;
  if (type.startsWith('ScalarType') && typeof value === 'string') return dtypeCode(value);
  if (Array.isArray(value)) return value.map((v) => (v instanceof Tensor ? v._h : v));
  return value;
}

/** Lays positional and keyword arguments onto a schema; null when they do not fit it. */
function bind(schema: Schema, positional: unknown[], keywords: Record<string, unknown>): unknown[] | null {
  const values: unknown[] = new Array(schema.args.length).fill(undefined);
  const slots = schema.args.map((a, i) => ({ ...a, index: i })).filter((a) => !a.kwargOnly);
  if (positional.length > slots.length) return null;
  positional.forEach((v, i) => (values[slots[i].index] = v));
  for (const [key, v] of Object.entries(keywords)) {
    const index = schema.args.findIndex((a) => a.name === key || a.name === snake(key));
    if (index < 0 || (index < positional.length && !schema.args[index].kwargOnly)) return null;
    values[index] = v;
  }
  for (let i = 0; i < schema.args.length; i++) {
    const arg = schema.args[i];
    if (values[i] === undefined) {
      if (!arg.hasDefault && !arg.type.endsWith('?')) return null;
      continue;
    }
    if (!fits(arg.type, values[i])) return null;
    values[i] = convert(arg.type, values[i]);
  }
  return values;
}

function unwrapResult(types: string[], raw: unknown): unknown {
  const one = (type: string, v: unknown): unknown => {
    if (v === null || v === undefined) return null;
    if (type.startsWith('Tensor[]') || type.startsWith('Tensor?[]')) return (v as TensorHandle[]).map((h) => wrap(h));
    if (type.startsWith('Tensor')) return wrap(v as TensorHandle);
    // A Scalar result (aten::item, aten::_local_scalar_dense) is a tensor's value read to the host.
    if (type === 'Scalar') noteHostRead();
    return v;
  };
  if (types.length === 1) return one(types[0], raw);
  return (raw as unknown[]).map((v, i) => one(types[i], v));
}

function splitArgs(args: unknown[]): [unknown[], Record<string, unknown>] {
  const last = args[args.length - 1];
  if (last && typeof last === 'object' && !Array.isArray(last) && !(last instanceof Tensor)) {
    return [args.slice(0, -1), last as Record<string, unknown>];
  }
  return [args, {}];
}

/** Calls an operator by its qualified name, 'ns::name' or 'ns::name.overload' ('aten::' may be left out). */
export function call(qualified: string, ...args: unknown[]): any {
  if (typeof qualified !== 'string') throw new TypeError(`ops.call: the operator name must be a string, got ${describe(qualified)}`);
  const full = qualified.includes('::') ? qualified : `aten::${qualified}`;
  const [name, overload] = full.split('.') as [string, string | undefined];
  const [positional, keywords] = splitArgs(args);
  const candidates = overload !== undefined ? [overload] : overloadsOf(name);
  if (candidates.length === 0) throw new RangeError(`ops: no operator ${name} is registered (check the name)`);
  for (const candidate of candidates) {
    const schema = schemaFor(name, candidate);
    if (!schema) throw new RangeError(`ops: ${name} has no overload '${candidate}'; it has: ${overloadsOf(name).map((o) => `'${o}'`).join(', ')}`);
    const values = bind(schema, positional, keywords);
    if (values) return unwrapResult(schema.returns, native.opCall(schema.id, values));
  }
  const tried = candidates.map((c) => `  ${schemaFor(name, c)?.schema}`).join('\n');
  const given = [...positional.map(describe), ...Object.keys(keywords).map((k) => `${k}=`)].join(', ');
  throw new TypeError(`ops: no overload of ${name} takes (${given}); its schemas are:\n${tried}`);
}

/** The schema text of an operator overload, e.g. schema('aten::add.Tensor'). */
export function schema(qualified: string): string {
  const full = qualified.includes('::') ? qualified : `aten::${qualified}`;
  const [name, overload = ''] = full.split('.');
  const s = schemaFor(name, overload);
  if (!s) throw new RangeError(`ops: no operator ${full}`);
  return s.schema;
}

type OpFunction = ((...args: unknown[]) => any) & Record<string, (...args: unknown[]) => any>;

function operator(ns: string, name: string): OpFunction {
  const base = (...args: unknown[]) => call(`${ns}::${name}`, ...args);
  return new Proxy(base, {
    get: (target, overload) => (typeof overload === 'string' && !(overload in target) ? (...args: unknown[]) => call(`${ns}::${name}.${overload}`, ...args) : Reflect.get(target, overload)),
  }) as OpFunction;
}

/** torch.ops.<namespace>.<name>[.<overload>](...args, keywordOptions?) */
export const ops: Record<string, Record<string, OpFunction>> & { call: typeof call; schema: typeof schema } = new Proxy(
  { call, schema } as never,
  {
    get: (target, ns) => {
      if (ns in target) return Reflect.get(target, ns);
      if (typeof ns !== 'string') return undefined;
      return new Proxy({}, { get: (_t, name) => (typeof name === 'string' ? operator(ns, name) : undefined) });
    },
  },
);
