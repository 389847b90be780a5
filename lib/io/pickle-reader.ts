// A Python pickle reader for the subset torch.save writes (protocol 2, also 3-5 framing), in
// TypeScript rather than through libtorch's pickle_load: that one failed on a dict with a
// single entry ("Unknown opcode", DESIGN.md section 6) and, being C++, turns hostile input into
// aborts more easily. Like torch.load's weights_only unpickler it runs no code: classes and
// functions are resolved through `hooks`, which allow-list what they accept; every other
// global, unknown opcode, malformed or truncated stream is an error naming the byte offset.
// The loop is iterative, and every length is checked against the bytes left, so hostile input
// can neither overflow the stack nor make it allocate more than the stream's own size.

/** What `hooks` see of the stream: Python values mapped to JS ones (tuples as PyTuple, lists as plain arrays). */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | Map<PyValue, PyValue> | object;

/**
 * A Python tuple: an array (it reads, spreads and destructures as one) that io.save writes as a
 * tuple rather than a list, and that the readers return for tuples, so a round trip keeps them.
 * Methods that make new arrays (map, filter, slice) return plain arrays.
 */
export class PyTuple<T = unknown> extends Array<T> {
  static override get [Symbol.species](): ArrayConstructor { return Array; }
}

/** A Python tuple of these items (for io.save: e.g. an optimizer group's betas). */
export function tuple<T>(items: Iterable<T>): PyTuple<T> {
  const t = new PyTuple<T>();
  for (const item of items) t.push(item);
  return t;
}

/** The deepest nesting of containers io.save writes and the readers accept (an optimizer state dict needs 4). */
export const MAX_NESTING = 100;

export interface UnpickleHooks {
  /** A global (module.name) the stream refers to; returns a token for REDUCE, or throws. */
  findClass(module: string, name: string): object;
  /** The object a persistent id (BINPERSID) stands for. */
  persistentLoad(pid: PyValue): PyValue;
  /** callable(*args) for an allowed token (REDUCE and NEWOBJ). */
  call(callable: PyValue, args: PyValue[]): PyValue;
  /** obj.__setstate__(state) (BUILD). */
  build(obj: PyValue, state: PyValue): void;
}

/** Thrown for anything outside the subset; the caller adds the file and entry name. */
export class PickleError extends Error {}

const MARK = Symbol('mark');

export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const stack: (PyValue | typeof MARK)[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;
  let opAt = 0;

  const fail = (problem: string): never => { throw new PickleError(`${problem} (opcode at byte ${opAt})`); };
  const need = (n: number) => { if (pos + n > bytes.length) fail(`truncated: needs ${n} more bytes but the stream ends at byte ${bytes.length}`); };
  const u8 = () => { need(1); return bytes[pos++]; };
  const u16 = () => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = () => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const u64 = () => { need(8); const v = view.getBigUint64(pos, true); pos += 8; if (v > BigInt(bytes.length)) fail(`length ${v} exceeds the stream`); return Number(v); };
  const take = (n: number) => { need(n); const b = bytes.subarray(pos, pos + n); pos += n; return b; };
  const text = (n: number) => { const b = take(n); try { return utf8.decode(b); } catch { return fail('string is not valid UTF-8'); } };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('truncated: a GLOBAL name has no newline');
    const s = new TextDecoder('latin1').decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) fail('stack underflow (malformed pickle)');
    return v as PyValue;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail('stack underflow (malformed pickle)');
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('no MARK to pop to (malformed pickle)');
    const items = stack.splice(at) as PyValue[];
    items.shift();
    return items;
  };
  const dictOf = (v: PyValue): Map<PyValue, PyValue> => (v instanceof Map ? v : fail(`SETITEM on a ${typeName(v)}, not a dict`));
  const listOf = (v: PyValue): PyValue[] => (Array.isArray(v) && !(v instanceof PyTuple) ? v : fail(`APPEND on a ${typeName(v)}, not a list`));
  const long = (b: Uint8Array): number | bigint => {
    if (b.length > 16) fail(`an integer of ${b.length} bytes is out of range for tensor files`);
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const memoGet = (k: number): PyValue => (memo.has(k) ? memo.get(k)! : fail(`memo entry ${k} was never stored`));

  for (;;) {
    opAt = pos;
    const op = u8();
    switch (op) {
      case 0x80: if (u8() > 5) fail('pickle protocol above 5'); break; // PROTO
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: { // STOP
        const result = pop();
        return result;
      }
      case 0x28: stack.push(MARK); break; // MARK
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(u32() | 0); break; // BININT (signed)
      case 0x8a: stack.push(long(take(u8()))); break; // LONG1
      case 0x8b: stack.push(long(take(u32()))); break; // LONG4
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x8c: stack.push(text(u8())); break; // SHORT_BINUNICODE
      case 0x58: stack.push(text(u32())); break; // BINUNICODE
      case 0x8d: stack.push(text(u64())); break; // BINUNICODE8
      case 0x55: stack.push(new TextDecoder('latin1').decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x54: stack.push(new TextDecoder('latin1').decode(take(u32()))); break; // BINSTRING
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x29: stack.push(tuple([])); break; // EMPTY_TUPLE
      case 0x85: stack.push(tuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push(tuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push(tuple([a, b, c])); break; } // TUPLE3
      case 0x74: stack.push(tuple(popMark())); break; // TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x61: { const v = pop(); listOf(top()).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); const list = listOf(top()); for (const v of items) list.push(v); break; } // APPENDS
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = popMark();
        if (items.length % 2) fail('DICT with an odd number of items');
        const d = new Map<PyValue, PyValue>();
        for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x73: { const v = pop(), k = pop(); dictOf(top()).set(k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2) fail('SETITEMS with an odd number of items');
        const d = dictOf(top());
        for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x63: { const module = line(); stack.push(hooks.findClass(module, line())); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(hooks.findClass(module as string, name as string));
        break;
      }
      case 0x52: { const args = pop(), fn = pop(); stack.push(hooks.call(fn, tupleOf(args, 'REDUCE', fail))); break; } // REDUCE
      case 0x81: { const args = pop(), cls = pop(); stack.push(hooks.call(cls, tupleOf(args, 'NEWOBJ', fail))); break; } // NEWOBJ
      case 0x62: { const state = pop(); hooks.build(top(), state); break; } // BUILD
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(op))}); ` +
          'only the subset torch.save writes (protocol 2, binary opcodes) is read');
    }
  }
}

function tupleOf(v: PyValue, op: string, fail: (p: string) => never): PyValue[] {
  return Array.isArray(v) ? v : fail(`${op} arguments must be a tuple, got a ${typeName(v)}`);
}

export function typeName(v: PyValue): string {
  if (v === null) return 'None';
  if (v instanceof PyTuple) return 'tuple';
  if (Array.isArray(v)) return 'tuple/list';
  if (v instanceof Map) return 'dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return v.constructor?.name ?? 'object';
  return typeof v;
}
