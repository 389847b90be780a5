// safetensors files against Hugging Face's own `safetensors` package (and torch through
// safetensors.torch), both directions, every dtype, exact values; plus the layout guarantees
// (aligned header and tensors) and atomic writes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, io, torch } from '../../lib/index.js';
import { writeFileAtomic } from '../../lib/io/file-io.js';
import { type PyTensor, TorchPython, compareTensors } from '../helpers/python.js';
import { sameBits, sampleTensors } from './samples.js';

const py = await TorchPython.start();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-safetensors-'));
afterAll(() => {
  py?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function expectSame(ours: Record<string, Tensor>, theirs: Record<string, PyTensor>) {
  expect(Object.keys(theirs).sort()).toEqual(Object.keys(ours).sort());
  for (const [name, t] of Object.entries(ours)) expect(compareTensors(t, theirs[name]), name).toBeNull();
}

describe('safetensors layout', () => {
  it('round-trips every dtype, scalars, empty and non-contiguous tensors, and metadata', () => {
    const file = path.join(dir, 'roundtrip.safetensors');
    const tensors = sampleTensors();
    io.saveSafetensors(file, tensors, { format: 'pt', note: 'ünïcode ✓' });
    const back = io.loadSafetensorsWithMetadata(file);
    expect(back.metadata).toEqual({ format: 'pt', note: 'ünïcode ✓' });
    expect(Object.keys(back.tensors)).toEqual(Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      const got = back.tensors[name];
      expect(got.dtype, name).toBe(t.dtype);
      expect(got.shape, name).toEqual(t.shape);
      expect(got.isContiguous(), name).toBe(true);
      expect(sameBits(got, t), name).toBe(true);
    }
  });

  it('pads the header to 8 bytes and aligns each tensor to its element size; offsets tile the buffer', () => {
    const file = path.join(dir, 'aligned.safetensors');
    io.saveSafetensors(file, { a: torch.ones(3, { dtype: 'int8' }), b: torch.ones(5, { dtype: 'float64' }), c: torch.ones(1, { dtype: 'float16' }), d: torch.ones(2) });
    const bytes = fs.readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = io.readSafetensorsHeader(file);
    expect(header.dataStart).toBe(8 + n);
    expect(header.tensors.map((t) => t.name)).toEqual(['a', 'b', 'c', 'd']);
    for (const t of header.tensors) expect(t.begin % (t.dtype === 'float64' ? 8 : t.dtype === 'float32' ? 4 : t.dtype === 'float16' ? 2 : 1)).toBe(0);
    expect(Math.max(...header.tensors.map((t) => t.end))).toBe(bytes.length - 8 - n);
  });

  it('keeps a tensor named "__proto__" an ordinary key', () => {
    const file = path.join(dir, 'proto.safetensors');
    io.saveSafetensors(file, Object.fromEntries([['__proto__', torch.ones(2)], ['x', torch.zeros(1)]]));
    const back = io.loadSafetensors(file);
    expect(Object.keys(back)).toEqual(['__proto__', 'x']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('refuses bad arguments before touching the file', () => {
    const file = path.join(dir, 'args.safetensors');
    expect(() => io.saveSafetensors(file, { x: [1, 2] as unknown as Tensor })).toThrow(/tensors\["x"\] must be a Tensor/);
    expect(() => io.saveSafetensors(file, { x: torch.ones(1) }, { n: 3 as unknown as string })).toThrow(/metadata\["n"\] must be a string/);
    expect(() => io.saveSafetensors(file, { __metadata__: torch.ones(1) })).toThrow(/reserved/);
    const gone = torch.ones(1);
    gone.dispose();
    expect(() => io.saveSafetensors(file, { gone })).toThrow(/disposed/);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('writes atomically: a failure mid-write leaves the old file and no temporary file', () => {
    const file = path.join(dir, 'atomic.safetensors');
    io.saveSafetensors(file, { old: torch.ones(4) });
    const before = fs.readFileSync(file);
    expect(() => writeFileAtomic(file, (sink) => {
      sink.write(Buffer.from('half a file'));
      throw new Error('disk full (simulated)');
    })).toThrow(/simulated/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.torchtrain-tmp-'))).toEqual([]);
    io.saveSafetensors(file, { fresh: torch.zeros(2) });
    expect(Object.keys(io.loadSafetensors(file))).toEqual(['fresh']);
  });
});

describe.skipIf(!py)('safetensors with Hugging Face safetensors and PyTorch', () => {
  it('our files read by safetensors.safe_open and safetensors.torch.load_file', async () => {
    const file = path.join(dir, 'ours.safetensors');
    const tensors = sampleTensors();
    io.saveSafetensors(file, tensors, { format: 'pt', origin: 'torchtrain' });
    const theirs = await py!.run<{ tensors: Record<string, PyTensor>; meta: Record<string, string>; viaOpen: Record<string, PyTensor> }>(`
from safetensors import safe_open
from safetensors.torch import load_file
with safe_open(path, framework="pt") as f:
    meta = f.metadata()
    viaOpen = {k: f.get_tensor(k) for k in f.keys()}
out = {"tensors": load_file(path), "meta": meta, "viaOpen": viaOpen}`, { path: file });
    expect(theirs.meta).toEqual({ format: 'pt', origin: 'torchtrain' });
    expectSame(tensors, theirs.tensors);
    expectSame(tensors, theirs.viaOpen);
  });

  it('files from safetensors.torch.save_file read by us, metadata included', async () => {
    const file = path.join(dir, 'theirs.safetensors');
    const tensors = sampleTensors();
    // save_file needs contiguous tensors; Python gets contiguous copies of ours.
    const contiguous = Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, v.contiguous()]));
    await py!.run(`
from safetensors.torch import save_file
save_file({k: v.contiguous() for k, v in ts.items()}, path, metadata={"format": "pt", "by": "safetensors"})
out = None`, { ts: contiguous, path: file });
    const back = io.loadSafetensorsWithMetadata(file);
    expect(back.metadata).toEqual({ format: 'pt', by: 'safetensors' });
    const theirs = await py!.run<Record<string, PyTensor>>('from safetensors.torch import load_file\nout = load_file(path)', { path: file });
    // Against what Python itself reads from the file (the test bridge carries float16 widened,
    // so NaN payloads of the originals may not survive the trip to Python bit for bit).
    expectSame(back.tensors, theirs);
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
  });

  it('an empty file (no tensors) both ways', async () => {
    const file = path.join(dir, 'none.safetensors');
    io.saveSafetensors(file, {});
    expect(await py!.run('from safetensors.torch import load_file\nout = len(load_file(path))', { path: file })).toBe(0);
    await py!.run('from safetensors.torch import save_file\nsave_file({}, path)\nout = None', { path: file });
    expect(io.loadSafetensors(file)).toEqual({});
  });
});
