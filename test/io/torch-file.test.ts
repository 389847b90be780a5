// PyTorch's torch.save format both ways against Python torch 2.15: our io.save read by
// torch.load with its default weights_only=True (and by its mmap / offset-calculating paths,
// which depend on miniz's exact layout), and files from Python's torch.save read by io.load:
// every dtype, scalars, empty tensors, single-entry dicts, views sharing one storage,
// parameters, a module's state_dict, other pickle protocols; plus committed torch 1.13 files.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, io, torch } from '../../lib/index.js';
import { tensorBytes } from '../../lib/core/bytes.js';
import { writeFileAtomic } from '../../lib/io/file-io.js';
import { PickleWriter } from '../../lib/io/pickle-writer.js';
import { pieceBytes } from '../../lib/io/tensor-data.js';
import { TorchZipWriter } from '../../lib/io/zip-writer.js';
import { type PyTensor, TorchPython, compareTensors } from '../helpers/python.js';
import { sameBits, sampleTensors } from './samples.js';

const py = await TorchPython.start();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-torchfile-'));
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
afterAll(() => {
  py?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function expectSame(ours: Record<string, Tensor>, theirs: Record<string, PyTensor>) {
  expect(Object.keys(ours)).toEqual(Object.keys(theirs));
  for (const [name, t] of Object.entries(ours)) expect(compareTensors(t, theirs[name]), name).toBeNull();
}

/** Whether two tensors share memory: an in-place change to one shows in the other. */
function shares(a: Tensor, b: Tensor): boolean {
  const before = b.clone();
  a.add_(1);
  const changed = !b.eq(before).all().item();
  a.sub_(1);
  return changed;
}

describe('io.save / io.load round trip', () => {
  it('keeps dtypes, shapes, values and key order; plain values via loadValues', () => {
    const file = path.join(dir, 'roundtrip.pt');
    const tensors = sampleTensors();
    io.save(file, { ...tensors, step: 12, lr: 0.5, big: 2n ** 62n, name: 'run-1', ok: true, none: null });
    const back = io.loadValues(file);
    expect(Object.keys(back)).toEqual([...Object.keys(tensors), 'step', 'lr', 'big', 'name', 'ok', 'none']);
    expect([back.step, back.lr, back.big, back.name, back.ok, back.none]).toEqual([12, 0.5, 2n ** 62n, 'run-1', true, null]);
    for (const [name, t] of Object.entries(tensors)) {
      const got = back[name] as Tensor;
      expect([got.dtype, got.shape], name).toEqual([t.dtype, t.shape]);
      expect(sameBits(got, t), name).toBe(true);
    }
    expect(() => io.load(file)).toThrow(/key "step": holds a number \(12\), not a tensor; use io.loadValues/);
  });

  it('refuses values it cannot store, before touching the file', () => {
    const file = path.join(dir, 'bad-args.pt');
    // Arrays are lists now (test/io/torch-nested.test.ts); a typed array still needs torch.tensor.
    expect(() => io.save(file, { x: new Float32Array(1) as unknown as Tensor })).toThrow(/values\["x"\] must be a Tensor, number.*Float32Array/);
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe.skipIf(!py)('torch.save files with Python PyTorch', () => {
  it('io.save read by torch.load (weights_only default), incl. mmap and calculated storage offsets', async () => {
    const file = path.join(dir, 'ours.pt');
    const tensors = sampleTensors();
    io.save(file, { ...tensors, step: 3, name: 'x', flag: false });
    const theirs = await py!.run<{ plain: Record<string, PyTensor>; mmap: Record<string, PyTensor>; extra: unknown[]; kind: string }>(`
import os
from torch.utils.serialization import config
os.environ["TORCH_SERIALIZATION_DEBUG"] = "1"   # asserts miniz-layout offsets match the real ones
sd = torch.load(path)
config.load.calculate_storage_offsets = True
try:
    mm = torch.load(path, mmap=True)
finally:
    config.load.calculate_storage_offsets = False
    del os.environ["TORCH_SERIALIZATION_DEBUG"]
extra = [sd.pop("step"), sd.pop("name"), sd.pop("flag")]
for k in ("step", "name", "flag"): mm.pop(k)
out = {"plain": dict(sd), "mmap": dict(mm), "extra": extra, "kind": type(sd).__name__}`, { path: file });
    expect(theirs.kind).toBe('OrderedDict');
    expect(theirs.extra).toEqual([3, 'x', false]);
    expectSame(tensors, theirs.plain);
    expectSame(tensors, theirs.mmap);
  });

  it('an empty state dict and a single entry, both ways', async () => {
    const empty = path.join(dir, 'empty.pt');
    io.save(empty, {});
    expect(await py!.run('out = len(torch.load(path))', { path: empty })).toBe(0);
    const single = path.join(dir, 'single.pt');
    await py!.run('torch.save({"x": torch.tensor([1.5, -2.0])}, path)\nout = None', { path: single });
    expect(io.load(single).x.tolist()).toEqual([1.5, -2]);
    await py!.run('torch.save({}, path)\nout = None', { path: empty });
    expect(io.load(empty)).toEqual({});
  });

  it('torch.save files of every dtype read exactly by io.load', async () => {
    const file = path.join(dir, 'theirs.pt');
    const tensors = sampleTensors();
    const theirs = await py!.run<Record<string, PyTensor>>(`
import collections
sd = collections.OrderedDict((k, v) for k, v in ts.items())
torch.save(sd, path)
out = sd`, { ts: tensors, path: file });
    expectSame(io.load(file), theirs);
  });

  it('views sharing one storage keep their offsets, strides and the sharing', async () => {
    const file = path.join(dir, 'views.pt');
    const theirs = await py!.run<Record<string, PyTensor>>(`
w = torch.arange(24, dtype=torch.float32).reshape(4, 6)
sd = {"w": w, "rows": w[1:], "t": w.t(), "cols": w[:, ::2], "elem": w[2, 3], "exp": torch.tensor([1., 2.]).expand(3, 2)}
torch.save(sd, path)
out = sd`, { path: file });
    const sd = io.load(file);
    expectSame(sd, theirs);
    expect(sd.rows.stride()).toEqual([6, 1]);
    expect(sd.t.stride()).toEqual([1, 6]);
    expect(sd.cols.stride()).toEqual([6, 2]);
    expect(sd.exp.stride()).toEqual([0, 1]);
    expect(shares(sd.w, sd.rows) && shares(sd.w, sd.t) && shares(sd.w, sd.cols) && shares(sd.w, sd.elem)).toBe(true);
  });

  it("a module's state_dict (with _metadata), parameters, requires_grad, and pickle protocols 4 and 5", async () => {
    const file = (n: string) => path.join(dir, n);
    const theirs = await py!.run<Record<string, Record<string, PyTensor>>>(`
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
torch.save(m.state_dict(), p1)
params = {"p": torch.nn.Parameter(torch.ones(2)), "q": torch.nn.Parameter(torch.zeros(1), requires_grad=False)}
torch.save(params, p2)
torch.save(m.state_dict(), p3, pickle_protocol=4)
torch.save(m.state_dict(), p4, pickle_protocol=5)
out = {"sd": dict(m.state_dict()), "params": {k: v.detach() for k, v in params.items()}}`, { p1: file('module.pt'), p2: file('params.pt'), p3: file('proto4.pt'), p4: file('proto5.pt') });
    expectSame(io.load(file('module.pt')), theirs.sd);
    expectSame(io.load(file('proto4.pt')), theirs.sd);
    expectSame(io.load(file('proto5.pt')), theirs.sd);
    const params = io.load(file('params.pt'));
    expect([params.p.requiresGrad, params.q.requiresGrad]).toEqual([true, false]);
    expectSame({ p: params.p.detach(), q: params.q }, theirs.params);
  });

  it('a state dict from our own nn-free model weights survives torch.load -> torch.save -> io.load', async () => {
    const a = path.join(dir, 'relay-a.pt'), b = path.join(dir, 'relay-b.pt');
    const tensors = { weight: torch.randn([4, 3]), bias: torch.randn(4), steps: torch.tensor(BigInt64Array.from([7n])) };
    io.save(a, tensors);
    await py!.run('torch.save(torch.load(a), b)\nout = None', { a, b });
    const back = io.load(b);
    for (const [k, t] of Object.entries(tensors)) expect(sameBits(back[k], t), k).toBe(true);
  });
});

describe('torch 1.13 files (committed fixtures, made by test/io/fixtures/make_torch113_fixtures.py)', () => {
  it('a state dict of every dtype with shared-storage views', () => {
    const sd = io.load(path.join(fixtures, 'torch1.13-state-dict.pt'));
    const w = torch.arange(12, { dtype: 'float32' }).reshape(3, 4);
    expect(sd.w.tolist()).toEqual(w.tolist());
    expect(sd.w_rows.tolist()).toEqual(w.index('1:').tolist());
    expect(sd.w_t.tolist()).toEqual(w.t().tolist());
    expect(shares(sd.w, sd.w_rows) && shares(sd.w, sd.w_t)).toBe(true);
    expect(sd.f64.tolist()).toEqual([0.5, -1.25]);
    expect([sd.f16.dtype, sd.f16.tolist()]).toEqual(['float16', [1.5, -2]]);
    expect([sd.bf16.dtype, sd.bf16.tolist()]).toEqual(['bfloat16', [3, 0.125]]);
    expect(Array.from(sd.i64.data() as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    expect([sd.i32.tolist(), sd.i16.tolist(), sd.i8.tolist(), sd.u8.tolist(), sd.b.tolist()]).toEqual([[-7, 7], [-300, 300], [-128, 127], [0, 255], [true, false]]);
    expect([sd.i32.dtype, sd.i16.dtype, sd.i8.dtype, sd.u8.dtype, sd.b.dtype]).toEqual(['int32', 'int16', 'int8', 'uint8', 'bool']);
    expect([sd.scalar.shape, sd.scalar.item()]).toEqual([[], 2.5]);
    expect(sd.empty.shape).toEqual([0, 3]);
  });

  it('a single-entry dict (the case libtorch 1.13 pickle_load failed on)', () => {
    expect(io.load(path.join(fixtures, 'torch1.13-single.pt')).only.tolist()).toEqual([1, 2, 3]);
  });
});

describe.skipIf(!py)('zip64 records', () => {
  it('entries past 4 GiB (a sparse file: the gap takes no disk) read by us and by torch.load', async () => {
    const file = path.join(dir, 'zip64.pt');
    const p = new PickleWriter().proto().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
    p.str('w').global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(3).tuple(5).persistentId();
    p.int(0).int(3).tuple(1).int(1).tuple(1).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple(6).reduce();
    const pkl = p.setItems().stop().bytes();
    writeFileAtomic(file, (sink) => {
      const zip = new TorchZipWriter(sink);
      zip.add('zip64/data.pkl', pkl.length, [pkl]);
      sink.position = 2 ** 32 + 3; // offsets above 32 bits need the zip64 fields
      zip.add('zip64/byteorder', 6, [Buffer.from('little')]);
      zip.add('zip64/data/0', 12, [Buffer.from(new Float32Array([1.5, 2.5, -3]).buffer)]);
      zip.add('zip64/version', 2, [Buffer.from('3\n')]);
      zip.finish();
    });
    try {
      expect(io.load(file).w.tolist()).toEqual([1.5, 2.5, -3]);
      const theirs = await py!.run<PyTensor>('out = torch.load(path)["w"]', { path: file });
      expect(Array.from(theirs.data as Float32Array)).toEqual([1.5, 2.5, -3]);
    } finally {
      fs.rmSync(file);
    }
  });
});

describe.skipIf(!py)('tensors bigger than one I/O piece (pieces made tiny here)', () => {
  it('are written and read piecewise, in both formats, and still match Python exactly', async () => {
    const saved = { ...pieceBytes };
    pieceBytes.write = 100;
    pieceBytes.read = 256;
    try {
      const tensors = { a: torch.randn([37, 11]), b: torch.randn([9, 13], { dtype: 'float64' }).t(), c: torch.randint(0, 100, [301], { dtype: 'int16' }) };
      const pt = path.join(dir, 'pieces.pt'), st = path.join(dir, 'pieces.safetensors');
      io.save(pt, tensors);
      io.saveSafetensors(st, tensors);
      const theirs = await py!.run<{ pt: Record<string, PyTensor>; st: Record<string, PyTensor> }>(
        'from safetensors.torch import load_file\nout = {"pt": dict(torch.load(pt)), "st": load_file(st)}', { pt, st });
      expectSame(tensors, theirs.pt);
      expectSame(tensors, Object.fromEntries(Object.keys(tensors).map((k) => [k, theirs.st[k]])));
      for (const back of [io.load(pt), io.loadSafetensors(st)]) for (const [k, t] of Object.entries(tensors)) expect(sameBits(back[k], t), k).toBe(true);
    } finally {
      Object.assign(pieceBytes, saved);
    }
  });
});

// Debian's python3-torch (1.13), when this machine has it (the system target's set-up installs it).
const debianTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
describe.skipIf(debianTorch.status !== 0)('torch 1.13 (Debian python3-torch) reads io.save files', () => {
  it('every dtype, scalars, empty and non-contiguous sources', () => {
    const file = path.join(dir, 'for-1.13.pt');
    const tensors = sampleTensors();
    io.save(file, tensors);
    // Python prints each tensor's dtype, shape and raw bytes in hex; we compare with ours.
    const code = `import sys, torch
sd = torch.load(sys.argv[1])
for k, v in sd.items():
    v = v.contiguous()
    raw = v.reshape(-1).view(torch.uint8) if v.numel() else torch.zeros(0, dtype=torch.uint8)
    print(k, str(v.dtype).replace("torch.", ""), ",".join(map(str, v.shape)), bytes(raw.tolist()).hex())`;
    const run = spawnSync('/usr/bin/python3', ['-c', code, file], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.length).toBe(Object.keys(tensors).length);
    for (const line of lines) {
      const [name, dtype, shape, hex] = line.split(' ');
      const t = tensors[name];
      expect([dtype, shape], name).toEqual([t.dtype, t.shape.join(',')]);
      expect(hex ?? '', name).toBe(Buffer.from(tensorBytes(t)).toString('hex'));
    }
  });
});
