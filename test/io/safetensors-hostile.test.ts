// Truncated, malformed and hostile safetensors files: each is refused with a WeightsFileError
// that names the file and what is wrong, nothing is allocated beyond the file's size, and the
// process lives on (every case after the first proves it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { io, torch } from '../../lib/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-safetensors-bad-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let count = 0;
/** A file of an 8-byte length (the header's own unless given), the header text, then data. */
function craft(header: string | Buffer, data: Buffer = Buffer.alloc(0), length?: bigint): string {
  const h = typeof header === 'string' ? Buffer.from(header, 'utf8') : header;
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length ?? BigInt(h.length));
  const file = path.join(dir, `bad-${count++}.safetensors`);
  fs.writeFileSync(file, Buffer.concat([prefix, h, data]));
  return file;
}

function rejects(file: string, pattern: RegExp) {
  let error: unknown;
  try {
    io.loadSafetensors(file);
  } catch (err) {
    error = err;
  }
  expect(error, `${file} should be refused`).toBeInstanceOf(io.WeightsFileError);
  const message = (error as Error).message;
  expect(message.startsWith(file), message).toBe(true);
  expect(message).toMatch(pattern);
}

const f32 = (name: string, shape: number[], begin: number, end: number) => `"${name}":{"dtype":"F32","shape":[${shape}],"data_offsets":[${begin},${end}]}`;

describe('safetensors: truncated and malformed files are refused clearly', () => {
  it('files too short for the length, or with a length past the end or above the cap', () => {
    const empty = path.join(dir, 'empty.safetensors');
    fs.writeFileSync(empty, '');
    rejects(empty, /fewer than the 8-byte header length/);
    const four = path.join(dir, 'four.safetensors');
    fs.writeFileSync(four, Buffer.from([1, 2, 3, 4]));
    rejects(four, /fewer than the 8-byte/);
    rejects(craft('{}', Buffer.alloc(0), 1000n), /says 1000 bytes, but the file has only 2/);
    rejects(craft('{}', Buffer.alloc(0), 2n ** 63n), /above the 100000000-byte cap/);
    rejects(craft('{}', Buffer.alloc(0), 200_000_000n), /above the 100000000-byte cap/);
    rejects(craft('', Buffer.alloc(0), 0n), /too short/);
  });

  it('a valid file cut short at several points', () => {
    const whole = path.join(dir, 'whole.safetensors');
    io.saveSafetensors(whole, { a: torch.arange(100, { dtype: 'float32' }), b: torch.ones([10, 10], { dtype: 'int64' }) });
    const bytes = fs.readFileSync(whole);
    for (const keep of [7, 8, 20, 100, bytes.length - 400, bytes.length - 1]) {
      const cut = path.join(dir, `cut-${keep}.safetensors`);
      fs.writeFileSync(cut, bytes.subarray(0, keep));
      rejects(cut, /truncated|fewer than/);
    }
  });

  it('header text that is not UTF-8, not an object, or not JSON', () => {
    rejects(craft(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), /not valid UTF-8/);
    rejects(craft('[1, 2]'), /must start with "\{"/);
    rejects(craft('  {}'), /must start with "\{"/);
    rejects(craft('{"a": '), /not valid JSON/);
    rejects(craft('{"a": 1} trailing'), /not valid JSON/);
    rejects(craft('{"a": 1}'), /tensor "a": must be an object/);
    rejects(craft('{"a": null}'), /tensor "a": must be an object/);
  });

  it('deeply nested JSON does not overflow anything', () => {
    rejects(craft(`{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`), /tensor "a"/);
    rejects(craft(`{"a":${'['.repeat(200_000)}`), /not valid JSON/);
  });

  it('unknown and unsupported dtypes', () => {
    rejects(craft('{"a":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}', Buffer.alloc(4)), /tensor "a": dtype "F99" is not supported \(supported: F32/);
    rejects(craft('{"a":{"dtype":"U32","shape":[1],"data_offsets":[0,4]}}', Buffer.alloc(4)), /dtype "U32" is not supported/);
    rejects(craft('{"a":{"dtype":"float32","shape":[1],"data_offsets":[0,4]}}', Buffer.alloc(4)), /dtype "float32" is not supported/);
    rejects(craft('{"a":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}', Buffer.alloc(4)), /"dtype" must be a string/);
    rejects(craft('{"a":{"dtype":"__proto__","shape":[1],"data_offsets":[0,4]}}', Buffer.alloc(4)), /not supported/);
  });

  it('shapes that are not lists of non-negative integers', () => {
    for (const shape of ['[2.5]', '[-1]', '["2"]', '2', 'null', '[1e300]', '[9007199254740993]']) {
      rejects(craft(`{"a":{"dtype":"F32","shape":${shape},"data_offsets":[0,4]}}`, Buffer.alloc(4)), /"shape" must be a list of non-negative integers/);
    }
    rejects(craft('{"a":{"dtype":"F32","data_offsets":[0,4]}}', Buffer.alloc(4)), /"shape"/);
  });

  it('data_offsets that are malformed, reversed or past the end of the file', () => {
    for (const offsets of ['[0]', '[0,4,8]', '[-4,0]', '[0.5,4]', '"0,4"', 'null']) {
      rejects(craft(`{"a":{"dtype":"F32","shape":[1],"data_offsets":${offsets}}}`, Buffer.alloc(4)), /"data_offsets" must be \[begin, end\]/);
    }
    rejects(craft(`{${f32('a', [0], 4, 0)}}`, Buffer.alloc(4)), /end before they begin/);
    rejects(craft(`{${f32('a', [1000], 0, 4000)}}`, Buffer.alloc(4)), /reach past the data buffer's 4 bytes/);
    rejects(craft(`{${f32('a', [2 ** 40], 0, 2 ** 42)}}`, Buffer.alloc(16)), /reach past/);
  });

  it('byte lengths that do not match shape x element size (including overflowing products)', () => {
    rejects(craft(`{${f32('a', [3], 0, 8)}}`, Buffer.alloc(8)), /shape \[3\] of F32 needs 12 bytes, but data_offsets \[0, 8\] hold 8/);
    rejects(craft(`{${f32('a', [2 ** 40, 2 ** 40], 0, 4)}}`, Buffer.alloc(4)), /needs 4835703278458516698824704 bytes/);
    rejects(craft('{"a":{"dtype":"BF16","shape":[],"data_offsets":[0,4]}}', Buffer.alloc(4)), /needs 2 bytes/);
  });

  it('overlapping, gapped, or short-of-the-end offsets, and trailing bytes', () => {
    rejects(craft(`{${f32('a', [2], 0, 8)},${f32('b', [2], 4, 12)}}`, Buffer.alloc(12)), /tensor "b": data_offsets \[4, 12\] overlap the previous tensor, which ends at 8/);
    rejects(craft(`{${f32('a', [1], 0, 4)},${f32('b', [1], 8, 12)}}`, Buffer.alloc(12)), /tensor "b": data_offsets \[8, 12\] leave a gap/);
    rejects(craft(`{${f32('a', [1], 4, 8)}}`, Buffer.alloc(8)), /leave a gap: the previous tensor ends at 0/);
    rejects(craft(`{${f32('a', [1], 0, 4)},${f32('b', [1], 0, 4)}}`, Buffer.alloc(4)), /overlap/);
    rejects(craft(`{${f32('a', [1], 0, 4)}}`, Buffer.alloc(12)), /cover 4 bytes of data, but the file holds 12/);
  });

  it('duplicate tensor names and duplicate fields', () => {
    rejects(craft(`{${f32('a', [1], 0, 4)},${f32('a', [1], 4, 8)}}`, Buffer.alloc(8)), /names "a" twice/);
    rejects(craft('{"a":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}}', Buffer.alloc(4)), /tensor "a" has the field "dtype" twice/);
    rejects(craft(`{"__metadata__":{"k":"1"},"__metadata__":{"k":"2"}}`), /names "__metadata__" twice/);
    rejects(craft(`{"a\\u0062":${f32('ab', [1], 0, 4).slice(5)},${f32('ab', [1], 4, 8)}}`, Buffer.alloc(8)), /names "ab" twice/);
  });

  it('metadata that is not a map of strings', () => {
    rejects(craft('{"__metadata__":{"n":3}}'), /"__metadata__"."n" must be a string/);
    rejects(craft('{"__metadata__":["x"]}'), /"__metadata__" must be an object of strings/);
    rejects(craft('{"__metadata__":"x"}'), /"__metadata__" must be an object of strings/);
  });

  it('files that are not safetensors at all, and folders', () => {
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'just some text that is long enough');
    rejects(text, /above the 100000000-byte cap|says \d+ bytes/);
    expect(() => io.loadSafetensors(dir)).toThrow(/is not a regular file|EISDIR/);
    expect(() => io.loadSafetensors(path.join(dir, 'missing.safetensors'))).toThrow(/ENOENT/);
  });

  it('accepts what the reference reader accepts: null metadata, unknown extra fields, zero-size tensors sharing an offset', () => {
    const file = craft(`{"__metadata__":null,"z":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"extra":1},"y":{"dtype":"I8","shape":[0,5],"data_offsets":[0,0]},${f32('a', [1], 0, 4)}}`, Buffer.from([0, 0, 0x80, 0x3f]));
    const back = io.loadSafetensorsWithMetadata(file);
    expect(back.metadata).toEqual({});
    expect(back.tensors.a.tolist()).toEqual([1]);
    expect(back.tensors.y.shape).toEqual([0, 5]);
  });
});
