// TFRecord framing of a TensorBoard event file: each record is
//   uint64 length (little-endian) | uint32 masked CRC32C of those 8 bytes | data | uint32 masked CRC32C of data.
// TensorBoard's reader silently drops a record with a bad checksum and every record after it,
// so the checksums are what decide whether a run's logs are seen at all.
import { crc32c } from '@aws-crypto/crc32c';
import { readFileSync } from 'node:fs';

/** TensorFlow's masked CRC32C: rotated right by 15 bits plus a constant (crc32c.h, Mask). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One record's bytes, ready to append. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(12 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/**
 * The records of a file, in order, up to the first one that is cut short (a kill mid-write) or
 * fails its checksum: what TensorBoard itself would read. `end` is the byte offset they end at.
 */
export function readRecords(file: string): { records: Uint8Array[]; end: number; size: number } {
  const bytes = readFileSync(file);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at + 12 <= bytes.length) {
    const header = bytes.subarray(at, at + 8);
    if (bytes.readUInt32LE(at + 8) !== maskedCrc32c(header)) break;
    const length = Number(bytes.readBigUInt64LE(at));
    if (at + 12 + length + 4 > bytes.length) break;
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (bytes.readUInt32LE(at + 12 + length) !== maskedCrc32c(data)) break;
    records.push(data);
    at += 12 + length + 4;
  }
  return { records, end: at, size: bytes.length };
}
