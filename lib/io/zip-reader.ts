// Reads a zip's central directory and its stored entries with positioned reads, so a multi-GB
// torch.save archive is never held in memory whole (each tensor's bytes are read at their
// offset). Only what torch.save archives use is supported: stored (uncompressed) entries,
// zip64, one disk. Everything is bounds-checked against the file's size, and every failure is
// a WeightsFileError naming the entry. See zip-writer.ts for why no zip library is used.
import zlib from 'node:zlib';
import { WeightsFileError } from './errors.js';
import { type ReadableFile, readAt } from './file-io.js';

const U32_MAX = 0xffffffff;
const EOCD_SIZE = 22;

export interface ZipEntry {
  name: string;
  size: number;
  crc: number;
  headerOffset: number;
  /** Why the entry cannot be read (compressed, encrypted), or null. */
  problem: string | null;
}

export class ZipArchive {
  private constructor(
    readonly file: ReadableFile,
    readonly entries: Map<string, ZipEntry>,
  ) {}

  /** Reads and checks the central directory. */
  static open(f: ReadableFile): ZipArchive {
    const fail = (where: string, problem: string): never => { throw new WeightsFileError(f.path, where, problem); };
    const tailLength = Math.min(f.size, EOCD_SIZE + 0xffff);
    const tail = readAt(f, f.size - tailLength, tailLength, 'zip end record');
    let at = -1;
    for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50 && i + EOCD_SIZE + tail.readUInt16LE(i + 20) <= tail.length) { at = i; break; }
    }
    if (at < 0) fail('zip end record', 'not found: the file is truncated (a zip ends with its directory) or is not a zip archive');
    const eocdPos = f.size - tailLength + at;
    let count: number = tail.readUInt16LE(at + 10);
    let cdSize: number = tail.readUInt32LE(at + 12);
    let cdStart: number = tail.readUInt32LE(at + 16);
    if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0) fail('zip end record', 'multi-disk archives are not supported');
    let dirEnd = eocdPos;
    if (eocdPos >= 20 && readAt(f, eocdPos - 20, 4, 'zip64 locator').readUInt32LE(0) === 0x07064b50) {
      const locator = readAt(f, eocdPos - 20, 20, 'zip64 locator');
      const end64At = Number(locator.readBigUInt64LE(8));
      if (end64At + 56 > eocdPos - 20) fail('zip64 end record', `its offset ${end64At} lies outside the file`);
      const end64 = readAt(f, end64At, 56, 'zip64 end record');
      if (end64.readUInt32LE(0) !== 0x06064b50) fail('zip64 end record', `no signature at byte ${end64At} (corrupt archive)`);
      count = Number(end64.readBigUInt64LE(32));
      cdSize = Number(end64.readBigUInt64LE(40));
      cdStart = Number(end64.readBigUInt64LE(48));
      dirEnd = end64At;
    }
    if (cdStart + cdSize > dirEnd) fail('zip central directory', `bytes ${cdStart}..${cdStart + cdSize} run past its end record at ${dirEnd} (truncated or corrupt)`);
    const cd = readAt(f, cdStart, cdSize, 'zip central directory');
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let k = 0; k < count; k++) {
      const where = `zip central directory entry ${k}`;
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) fail(where, `missing or corrupt at directory byte ${p}`);
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      let compressed: number = cd.readUInt32LE(p + 20);
      let size: number = cd.readUInt32LE(p + 24);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      let headerOffset: number = cd.readUInt32LE(p + 42);
      const next = p + 46 + nameLength + extraLength + commentLength;
      if (next > cd.length) fail(where, 'runs past the end of the directory');
      const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
      // zip64: each 32-bit field that holds 0xFFFFFFFF continues in the extended-information field.
      let e = p + 46 + nameLength;
      while (e + 4 <= p + 46 + nameLength + extraLength) {
        const id = cd.readUInt16LE(e), length = cd.readUInt16LE(e + 2);
        if (id === 1) {
          let q = e + 4;
          const take = (): number => {
            if (q + 8 > e + 4 + length) fail(`zip entry "${name}"`, 'zip64 field is too short');
            const v = Number(cd.readBigUInt64LE(q));
            q += 8;
            return v;
          };
          if (size === U32_MAX) size = take();
          if (compressed === U32_MAX) compressed = take();
          if (headerOffset === U32_MAX) headerOffset = take();
        }
        e += 4 + length;
      }
      const at = `zip entry "${name}"`;
      if (entries.has(name)) fail(at, 'appears twice in the archive');
      if (headerOffset + 30 + compressed > cdStart) fail(at, `data at byte ${headerOffset} with ${compressed} bytes runs into the central directory (truncated or corrupt)`);
      // Entries that cannot be read are refused when read, so an archive of another kind (a
      // TorchScript file compresses its code) still gets the error that names what it is.
      const problem = flags & 1 ? 'is encrypted'
        : method !== 0 ? `is compressed (method ${method}); torch.save stores entries uncompressed, so this archive was re-packed by another tool: unzip it and zip it again with no compression (zip -0)`
        : compressed !== size ? `stored entry has compressed size ${compressed} but size ${size} (corrupt)` : null;
      entries.set(name, { name, size, crc, headerOffset, problem });
      p = next;
    }
    return new ZipArchive(f, entries);
  }

  /** Where the entry's bytes start, from its local header. */
  dataOffset(entry: ZipEntry): number {
    const where = `zip entry "${entry.name}"`;
    if (entry.problem) throw new WeightsFileError(this.file.path, where, entry.problem);
    const h = readAt(this.file, entry.headerOffset, 30, where);
    if (h.readUInt32LE(0) !== 0x04034b50) throw new WeightsFileError(this.file.path, where, `no local header at byte ${entry.headerOffset} (corrupt archive)`);
    const start = entry.headerOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
    if (start + entry.size > this.file.size) {
      throw new WeightsFileError(this.file.path, where, `needs bytes ${start}..${start + entry.size} but the file has ${this.file.size} (truncated)`);
    }
    return start;
  }

  /**
   * A reader for the entry's bytes, in order, that checks the CRC-32 once all were read.
   * (A zero CRC means the writer skipped it: torch.save can, with compute_crc32=False.)
   */
  reader(entry: ZipEntry): { read(offset: number, length: number): Buffer; verify(): void } {
    const start = this.dataOffset(entry);
    const where = `zip entry "${entry.name}"`;
    let crc = 0;
    let seen = 0;
    return {
      read: (offset, length) => {
        const bytes = readAt(this.file, start + offset, length, where);
        crc = zlib.crc32(bytes, crc);
        seen += length;
        return bytes;
      },
      verify: () => {
        if (seen === entry.size && entry.crc !== 0 && crc !== entry.crc) {
          throw new WeightsFileError(this.file.path, where, `CRC-32 mismatch (stored ${entry.crc.toString(16)}, data gives ${crc.toString(16)}): the file is corrupt`);
        }
      },
    };
  }

  /** The whole entry (for small records: data.pkl, version), CRC-checked. */
  read(entry: ZipEntry): Buffer {
    const r = this.reader(entry);
    const bytes = r.read(0, entry.size);
    r.verify();
    return bytes;
  }
}
