// Damaged copies of the files torchtrain reads: safetensors files, zip archives (torch.save
// files and TorchScript modules), IDX arrays (plain and gzipped) and JSON lines. Each mutation is a pure function of a seed: truncations,
// bit flips at random offsets, zero-length and short records, swapped records, and declared
// sizes and offsets far past the end of the file. A zip is parsed and rebuilt here (stored
// entries, fresh CRCs, so damage to a record gets past the zip's own checks and reaches the reader).
import { crc32, gzipSync } from 'node:zlib';
import { Rng } from '../fuzz/random-values.js';

export interface Mutant {
  /** e.g. 'truncate 812', 'empty-record mlp-script/data/1'. */
  what: string;
  bytes: Buffer;
  /** True when every reader must refuse it (a tensor's bytes are missing or sizes lie). */
  mustRefuse: boolean;
}

/** A zip record: its bytes as stored; `method`, `crc` and `size` describe compressed ones (jit.save deflates code). */
interface ZipRecord { name: string; data: Buffer; method?: number; crc?: number; size?: number }
interface ZipEntry extends ZipRecord { centralAt: number; localAt: number }

export function zipEntries(zip: Buffer): ZipEntry[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const out: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const stored = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    const localAt = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLen);
    const dataAt = localAt + 30 + zip.readUInt16LE(localAt + 26) + zip.readUInt16LE(localAt + 28);
    out.push({ name, data: zip.subarray(dataAt, dataAt + stored), method, crc, size, centralAt: at, localAt });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** A zip of these records, in order: compressed ones kept as they were, the others stored with a fresh CRC. */
export function buildZip(records: ZipRecord[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const r of records) {
    const name = Buffer.from(r.name, 'utf8');
    const method = r.method ?? 0;
    const crc = method ? r.crc! : crc32(r.data);
    const size = method ? r.size! : r.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(r.data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(method, 10);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(r.data.length, 20);
    c.writeUInt32LE(size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offset, 42);
    parts.push(local, name, r.data);
    central.push(c, name);
    offset += 30 + name.length + r.data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(records.length, 8);
  end.writeUInt16LE(records.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

const isTensorRecord = (name: string) => /\/data\/\d+$/.test(name);
const HUGE = [0xffffffff, 0xfffffffe, 0x80000000, 0x7fffffff];

function flips(rng: Rng, bytes: Buffer): Mutant {
  const copy = Buffer.from(bytes);
  const n = rng.range(1, 4);
  const at: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = rng.int(copy.length);
    copy[k] ^= 1 << rng.int(8);
    at.push(k);
  }
  return { what: `bit flips at ${at.join(', ')}`, bytes: copy, mustRefuse: false };
}

function truncation(rng: Rng, bytes: Buffer): Mutant {
  const keep = rng.chance(0.2) ? rng.pick([0, 1, 4, 8, bytes.length - 1]) : rng.int(bytes.length);
  return { what: `truncated to ${keep} of ${bytes.length} bytes`, bytes: bytes.subarray(0, Math.max(0, keep)), mustRefuse: true };
}

/** Mutant number `index` of a zip archive (torch.save or TorchScript). */
export function mutateZip(bytes: Buffer, seed: number, index: number): Mutant {
  const rng = new Rng(seed * 7919 + index);
  const entries = zipEntries(bytes);
  const records: ZipRecord[] = entries.map((e) => ({ name: e.name, data: Buffer.from(e.data), method: e.method, crc: e.crc, size: e.size }));
  // A record given new bytes is stored uncompressed.
  const replace = (r: ZipRecord, data: Buffer) => Object.assign(r, { data, method: 0, crc: undefined, size: undefined });
  const tensors = records.filter((r) => isTensorRecord(r.name));
  const kind = rng.int(8);
  if (kind === 0) return truncation(rng, bytes);
  if (kind === 1) return flips(rng, bytes);
  if (kind === 2) {
    const r = rng.chance(0.7) && tensors.length ? rng.pick(tensors) : rng.pick(records);
    replace(r, Buffer.alloc(0));
    return { what: `zero-length record ${r.name}`, bytes: buildZip(records), mustRefuse: isTensorRecord(r.name) };
  }
  if (kind === 3 && tensors.length) {
    const r = rng.pick(tensors);
    const keep = rng.int(r.data.length);
    replace(r, r.data.subarray(0, keep));
    return { what: `record ${r.name} cut to ${keep} bytes`, bytes: buildZip(records), mustRefuse: true };
  }
  if (kind === 4 && tensors.length > 1) {
    const [a, b] = [rng.pick(tensors), rng.pick(tensors)];
    const [da, db] = [b.data, a.data];
    replace(a, da);
    replace(b, db);
    const smaller = a.data.length < b.data.length || b.data.length < a.data.length;
    return { what: `records ${a.name} and ${b.name} swapped`, bytes: buildZip(records), mustRefuse: smaller };
  }
  if (kind === 5) {
    // A declared size far past the end, in the central directory and the local header alike.
    const e = rng.chance(0.7) && tensors.length ? rng.pick(entries.filter((x) => isTensorRecord(x.name))) : rng.pick(entries);
    const copy = Buffer.from(bytes);
    const huge = rng.pick(HUGE);
    copy.writeUInt32LE(huge, e.centralAt + 20);
    copy.writeUInt32LE(huge, e.centralAt + 24);
    copy.writeUInt32LE(huge, e.localAt + 18);
    copy.writeUInt32LE(huge, e.localAt + 22);
    return { what: `record ${e.name} declares ${huge} bytes`, bytes: copy, mustRefuse: isTensorRecord(e.name) };
  }
  if (kind === 6) {
    // A local header offset or an entry count that points nowhere.
    const copy = Buffer.from(bytes);
    const eocd = copy.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (rng.chance(0.5)) {
      const e = rng.pick(entries);
      const to = rng.pick(HUGE);
      copy.writeUInt32LE(to, e.centralAt + 42);
      return { what: `record ${e.name}'s local header offset set to ${to}`, bytes: copy, mustRefuse: isTensorRecord(e.name) };
    }
    const field = rng.pick([8, 10, 12, 16]);
    const value = field < 12 ? 0xffff : rng.pick(HUGE);
    if (field < 12) copy.writeUInt16LE(value, eocd + field);
    else copy.writeUInt32LE(value, eocd + field);
    // (torch.save and TorchScript archives carry a zip64 end record too, which readers may prefer.)
    return { what: `end-of-directory field at +${field} set to ${value}`, bytes: copy, mustRefuse: false };
  }
  // A tensor record made longer, or a record duplicated under the same name.
  if (rng.chance(0.5) && tensors.length) {
    const r = rng.pick(tensors);
    replace(r, Buffer.concat([r.data, Buffer.alloc(rng.range(1, 64), 0x41)]));
    return { what: `record ${r.name} grown by junk`, bytes: buildZip(records), mustRefuse: false };
  }
  const r = rng.pick(records);
  records.push({ name: r.name, data: Buffer.alloc(0) });
  return { what: `record ${r.name} duplicated (the copy empty)`, bytes: buildZip(records), mustRefuse: false };
}

/** Mutant number `index` of a safetensors file. */
export function mutateSafetensors(bytes: Buffer, seed: number, index: number): Mutant {
  const rng = new Rng(seed * 104729 + index);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength)) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const data = bytes.subarray(8 + headerLength);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const rebuild = (h: unknown, body: Buffer = data, length?: bigint) => {
    const text = Buffer.from(JSON.stringify(h), 'utf8');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(length ?? BigInt(text.length));
    return Buffer.concat([prefix, text, body]);
  };
  const kind = rng.int(7);
  if (kind === 0) return truncation(rng, bytes);
  if (kind === 1) return flips(rng, bytes);
  if (kind === 2) {
    const length = rng.pick([2n ** 64n - 1n, 2n ** 63n, 2n ** 32n, BigInt(headerLength + 1), BigInt(bytes.length), 0n]);
    return { what: `header length declared as ${length}`, bytes: rebuild(header, data, length), mustRefuse: true };
  }
  const name = rng.pick(names);
  const entry = header[name];
  if (kind === 3) {
    entry.shape = entry.shape.length ? entry.shape.map((s) => s * rng.pick([2 ** 20, 2 ** 31, 2 ** 40])) : [2 ** 40];
    return { what: `tensor ${name}'s shape declared as [${entry.shape}]`, bytes: rebuild(header), mustRefuse: true };
  }
  if (kind === 4) {
    const end = rng.pick([2 ** 53, 2 ** 62, 2 ** 32 + entry.data_offsets[1], data.length + 1]);
    entry.data_offsets = [entry.data_offsets[0], end];
    return { what: `tensor ${name}'s data_offsets declared as [${entry.data_offsets}]`, bytes: rebuild(header), mustRefuse: true };
  }
  if (kind === 5) {
    return { what: 'data section removed (zero-length records)', bytes: rebuild(header, Buffer.alloc(0)), mustRefuse: data.length > 0 };
  }
  entry.dtype = rng.pick(['F64', 'I64', 'BOOL', 'U8', 'F16', 'BF16', 'F8_E4M3', 'C64', '']);
  return { what: `tensor ${name}'s dtype declared as ${JSON.stringify(entry.dtype)}`, bytes: rebuild(header), mustRefuse: false };
}

/** Mutant number `index` of an IDX file (magic 0 0 type ndims, big-endian uint32 sizes, data); gzipped half the time. */
export function mutateIdx(bytes: Buffer, seed: number, index: number): Mutant {
  const rng = new Rng(seed * 15485863 + index);
  const gzip = rng.chance(0.5);
  const wrap = (m: Mutant): Mutant => (gzip ? { ...m, what: `gzipped, ${m.what}`, bytes: gzipSync(m.bytes) } : m);
  const ndims = bytes[3];
  const kind = rng.int(5);
  if (kind === 0) {
    const m = truncation(rng, gzip ? gzipSync(bytes) : bytes);
    return { ...m, what: `${gzip ? 'gzipped, ' : ''}${m.what}` };
  }
  if (kind === 1) return wrap(flips(rng, bytes));
  const copy = Buffer.from(bytes);
  if (kind === 2) {
    const dim = rng.int(ndims);
    const size = rng.pick([0xffffffff, 0x80000000, 0x10000, 0]);
    copy.writeUInt32BE(size, 4 + 4 * dim);
    return wrap({ what: `size ${dim} declared as ${size}`, bytes: copy, mustRefuse: true });
  }
  if (kind === 3) {
    copy[3] = rng.pick([0, 255, ndims + 1, 64]);
    return wrap({ what: `${copy[3]} dimensions declared`, bytes: copy, mustRefuse: true });
  }
  copy[2] = rng.pick([0x00, 0x07, 0x0a, 0x0f, 0xff, 0x08, 0x0e]);
  return wrap({ what: `type byte 0x${copy[2].toString(16)}`, bytes: copy, mustRefuse: false });
}

/** Mutant number `index` of a JSON-lines file. */
export function mutateJsonl(bytes: Buffer, seed: number, index: number): Mutant {
  const rng = new Rng(seed * 32452843 + index);
  const kind = rng.int(4);
  if (kind === 0) return { ...truncation(rng, bytes), mustRefuse: false };
  if (kind === 1) return flips(rng, bytes);
  if (kind === 2) {
    const junk = rng.pick(['\u0000', '\ufeff', '[', '{"a":', '\r', '\n\n\n', '9'.repeat(400), '"\ud800"', '{"__proto__":{"x":1}}']);
    const at = rng.int(bytes.length + 1);
    return { what: `${JSON.stringify(junk.slice(0, 20))} inserted at ${at}`, bytes: Buffer.concat([bytes.subarray(0, at), Buffer.from(junk), bytes.subarray(at)]), mustRefuse: false };
  }
  const deep = `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}\n`;
  return { what: 'a record nested 100,000 deep', bytes: Buffer.concat([bytes, Buffer.from(deep)]), mustRefuse: false };
}
