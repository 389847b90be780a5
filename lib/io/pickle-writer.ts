// Emits the protocol-2 pickle opcodes torch.save's data.pkl uses, and nothing else: Python's
// torch.load (weights_only=True by default since torch 2.6) then sees only allow-listed globals
// (collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.<Type>Storage) and the
// plain dict, list and tuple opcodes, with the memo (BINPUT/BINGET) for shared values.
export class PickleWriter {
  private readonly chunks: Buffer[] = [];

  private raw(...bytes: number[]): this {
    this.chunks.push(Buffer.from(bytes));
    return this;
  }

  proto(): this { return this.raw(0x80, 2); }
  stop(): this { return this.raw(0x2e); }
  mark(): this { return this.raw(0x28); }
  none(): this { return this.raw(0x4e); }
  bool(v: boolean): this { return this.raw(v ? 0x88 : 0x89); }
  emptyTuple(): this { return this.raw(0x29); }
  /** Builds a tuple of the last n values (after mark() when n > 3, as Python's pickler does). */
  tuple(n: number): this { return n === 0 ? this.emptyTuple() : n <= 3 ? this.raw(0x84 + n) : this.raw(0x74); }
  reduce(): this { return this.raw(0x52); }
  persistentId(): this { return this.raw(0x51); }
  setItems(): this { return this.raw(0x75); }
  emptyDict(): this { return this.raw(0x7d); }
  emptyList(): this { return this.raw(0x5d); }
  appends(): this { return this.raw(0x65); }

  /** Stores the top of the stack in memo slot i (BINPUT, or LONG_BINPUT from 256 on). */
  put(i: number): this {
    if (i < 256) return this.raw(0x71, i);
    const b = Buffer.alloc(5);
    b[0] = 0x72;
    b.writeUInt32LE(i, 1);
    this.chunks.push(b);
    return this;
  }

  /** Pushes memo slot i again (BINGET, or LONG_BINGET from 256 on). */
  get(i: number): this {
    if (i < 256) return this.raw(0x68, i);
    const b = Buffer.alloc(5);
    b[0] = 0x6a;
    b.writeUInt32LE(i, 1);
    this.chunks.push(b);
    return this;
  }

  global(module: string, name: string): this {
    this.chunks.push(Buffer.from(`c${module}\n${name}\n`, 'utf8'));
    return this;
  }

  /** Python's int encoding: the shortest of BININT1, BININT2, BININT, then LONG1 (two's complement). */
  int(v: number | bigint): this {
    const n = BigInt(v);
    if (n >= 0n && n < 256n) return this.raw(0x4b, Number(n));
    if (n >= 0n && n < 65536n) return this.raw(0x4d, Number(n) & 0xff, Number(n) >> 8);
    if (n >= -(2n ** 31n) && n < 2n ** 31n) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a;
      b.writeInt32LE(Number(n), 1);
      this.chunks.push(b);
      return this;
    }
    const bytes: number[] = [];
    let rest = n;
    // Little-endian two's complement, stopping once the sign bit of the last byte is right.
    for (;;) {
      const byte = Number(rest & 0xffn);
      bytes.push(byte);
      rest >>= 8n;
      if ((rest === 0n && !(byte & 0x80)) || (rest === -1n && byte & 0x80)) break;
    }
    return this.raw(0x8a, bytes.length, ...bytes);
  }

  float(v: number): this {
    const b = Buffer.alloc(9);
    b[0] = 0x47;
    b.writeDoubleBE(v, 1);
    this.chunks.push(b);
    return this;
  }

  str(v: string): this {
    const s = Buffer.from(v, 'utf8');
    const h = Buffer.alloc(5);
    h[0] = 0x58; // BINUNICODE
    h.writeUInt32LE(s.length, 1);
    this.chunks.push(h, s);
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
