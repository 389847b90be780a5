// Writes the zip container of PyTorch's torch.save files the way PyTorch's own writer (miniz,
// driven by caffe2's PyTorchStreamWriter) lays it out, byte for byte in structure: stored
// (uncompressed) entries, each local header padded with an "FB" extra field so the entry's data
// starts at a multiple of 64 bytes; a data descriptor after each non-empty entry; zip64 records
// at the end. torch.load's optional offset calculation (mmap, .format_version >= 1) relies on
// exactly this layout, so it is mirrored rather than merely "a valid zip".
//
// Hand-written rather than a zip library: yazl and fflate cannot pad local headers for alignment
// or emit miniz's descriptor layout, and fflate builds the archive in memory; what is needed
// here (stored entries only, CRC-32 from node:zlib) is ~100 lines.
import zlib from 'node:zlib';
import type { FileSink } from './file-io.js';

const U32_MAX = 0xffffffff;
/** PyTorch's default storage alignment (torch.serialization.config.save.storage_alignment). */
export const STORAGE_ALIGNMENT = 64;

interface CentralRecord {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
  flags: number;
}

/** miniz's zip64 extended-information field: id 1, then the 64-bit values that did not fit in 32 bits. */
function zip64Field(values: number[]): Buffer {
  if (!values.length) return Buffer.alloc(0);
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(1, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

export class TorchZipWriter {
  private readonly records: CentralRecord[] = [];

  constructor(private readonly sink: FileSink) {}

  /** Adds a stored entry of `size` bytes, whose content `pieces` yields in order. */
  add(name: string, size: number, pieces: Iterable<Uint8Array>): void {
    const nameBytes = Buffer.from(name, 'utf8');
    const offset = this.sink.position;
    const big = size >= U32_MAX || offset >= U32_MAX;
    const local64 = zip64Field([...(size >= U32_MAX ? [size, size] : []), ...(offset >= U32_MAX ? [offset] : [])]);
    // As PyTorchStreamWriter's getPadding: the FB field's own 4 bytes count before the padding.
    const dataStart = offset + 30 + nameBytes.length + local64.length + 4;
    const padding = (STORAGE_ALIGNMENT - (dataStart % STORAGE_ALIGNMENT)) % STORAGE_ALIGNMENT;
    // Non-empty entries say "sizes and CRC follow in a data descriptor" (bit 3); all names are UTF-8 (bit 11).
    const flags = size > 0 ? 0x0808 : 0x0800;
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(flags, 6);
    header.writeUInt16LE(nameBytes.length, 26);
    header.writeUInt16LE(local64.length + 4 + padding, 28);
    const fb = Buffer.alloc(4 + padding, 'Z');
    fb.write('FB', 0, 'latin1');
    fb.writeUInt16LE(padding, 2);
    this.sink.write(Buffer.concat([header, nameBytes, local64, fb]));

    let crc = 0;
    let written = 0;
    for (const piece of pieces) {
      crc = zlib.crc32(piece, crc);
      written += piece.length;
      this.sink.write(piece);
    }
    if (written !== size) throw new Error(`zip entry ${name}: announced ${size} bytes but wrote ${written} (internal error)`);
    if (size > 0) {
      const descriptor = Buffer.alloc(big ? 24 : 16);
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      if (big) {
        descriptor.writeBigUInt64LE(BigInt(size), 8);
        descriptor.writeBigUInt64LE(BigInt(size), 16);
      } else {
        descriptor.writeUInt32LE(size, 8);
        descriptor.writeUInt32LE(size, 12);
      }
      this.sink.write(descriptor);
    }
    this.records.push({ name: nameBytes, crc, size, offset, flags });
  }

  /** Writes the central directory and the zip64 and classic end records. */
  finish(): void {
    const cdStart = this.sink.position;
    for (const r of this.records) {
      const extra = zip64Field([...(r.size >= U32_MAX ? [r.size, r.size] : []), ...(r.offset >= U32_MAX ? [r.offset] : [])]);
      const h = Buffer.alloc(46);
      h.writeUInt32LE(0x02014b50, 0);
      h.writeUInt16LE(extra.length ? 45 : 0, 6);
      h.writeUInt16LE(r.flags, 8);
      h.writeUInt32LE(r.crc, 16);
      h.writeUInt32LE(Math.min(r.size, U32_MAX), 20);
      h.writeUInt32LE(Math.min(r.size, U32_MAX), 24);
      h.writeUInt16LE(r.name.length, 28);
      h.writeUInt16LE(extra.length, 30);
      h.writeUInt32LE(Math.min(r.offset, U32_MAX), 42);
      this.sink.write(Buffer.concat([h, r.name, extra]));
    }
    const cdSize = this.sink.position - cdStart;
    const count = this.records.length;
    const end64At = this.sink.position;
    const end = Buffer.alloc(56 + 20 + 22);
    end.writeUInt32LE(0x06064b50, 0); // zip64 end of central directory
    end.writeBigUInt64LE(44n, 4);
    end.writeUInt16LE(0x031e, 12);
    end.writeUInt16LE(45, 14);
    end.writeBigUInt64LE(BigInt(count), 24);
    end.writeBigUInt64LE(BigInt(count), 32);
    end.writeBigUInt64LE(BigInt(cdSize), 40);
    end.writeBigUInt64LE(BigInt(cdStart), 48);
    end.writeUInt32LE(0x07064b50, 56); // zip64 end locator
    end.writeBigUInt64LE(BigInt(end64At), 64);
    end.writeUInt32LE(1, 72);
    end.writeUInt32LE(0x06054b50, 76); // classic end of central directory
    end.writeUInt16LE(Math.min(count, 0xffff), 84);
    end.writeUInt16LE(Math.min(count, 0xffff), 86);
    end.writeUInt32LE(Math.min(cdSize, U32_MAX), 88);
    end.writeUInt32LE(Math.min(cdStart, U32_MAX), 92);
    this.sink.write(end);
  }
}
