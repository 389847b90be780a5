// torch.save archives that are legacy, truncated, corrupt, compressed, of another kind, or
// hostile (pickles naming other globals, unknown opcodes, views past their storage, sizes that
// would make us allocate without bound): each is refused with a WeightsFileError naming the
// file and what is wrong; no tensor is left behind, and the process lives on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { io, torch } from '../../lib/index.js';
import { writeFileAtomic } from '../../lib/io/file-io.js';
import { PickleWriter } from '../../lib/io/pickle-writer.js';
import { TorchZipWriter } from '../../lib/io/zip-writer.js';
import { TorchPython } from '../helpers/python.js';

const py = await TorchPython.start();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-torchfile-bad-'));
afterAll(() => {
  py?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let count = 0;
const fresh = (ext = '.pt') => path.join(dir, `f${count++}${ext}`);

function rejects(file: string, pattern: RegExp) {
  const live = torch.memory().tensors;
  let error: unknown;
  try {
    io.load(file);
  } catch (err) {
    error = err;
  }
  expect(error, `${file} should be refused`).toBeInstanceOf(io.WeightsFileError);
  const message = (error as Error).message;
  expect(message.startsWith(file), message).toBe(true);
  expect(message).toMatch(pattern);
  expect(torch.memory().tensors, 'tensors left behind').toBe(live);
}

/** An archive as torch.save lays it out, with the given data.pkl and extra records. */
function archive(pickle: Uint8Array, records: Record<string, Uint8Array> = {}, version: string | null = '3\n'): string {
  const file = fresh();
  writeFileAtomic(file, (sink) => {
    const zip = new TorchZipWriter(sink);
    zip.add('arc/data.pkl', pickle.length, [pickle]);
    if (version !== null) zip.add('arc/version', version.length, [Buffer.from(version)]);
    for (const [name, bytes] of Object.entries(records)) zip.add(`arc/${name}`, bytes.length, [bytes]);
    zip.finish();
  });
  return file;
}

interface TensorSpec { type?: string; key?: string; numel: number | bigint; offset?: number; size: number[]; stride: number[] }

/** A one-entry OrderedDict pickle {name: _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())}. */
function statePickle(entries: Record<string, TensorSpec>): Buffer {
  const p = new PickleWriter().proto().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (const [name, s] of Object.entries(entries)) {
    p.str(name).global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').global('torch', s.type ?? 'FloatStorage').str(s.key ?? '0').str('cpu').int(s.numel).tuple(5).persistentId();
    p.int(s.offset ?? 0).mark();
    for (const d of s.size) p.int(d);
    p.tuple(Number.MAX_SAFE_INTEGER).mark();
    for (const d of s.stride) p.int(d);
    p.tuple(Number.MAX_SAFE_INTEGER).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple(6).reduce();
  }
  return p.setItems().stop().bytes();
}

const OD = Buffer.from('\x80\x02ccollections\nOrderedDict\n)R', 'latin1');
const floats = (n: number) => Buffer.alloc(4 * n);

describe('torch.save archives: not zip, legacy, truncated, corrupt', () => {
  it('files that are not torch.save zips', () => {
    const text = fresh('.txt');
    fs.writeFileSync(text, 'hello, this is not a checkpoint');
    rejects(text, /is not a torch.save file \(it does not start with a zip header\)/);
    const empty = fresh();
    fs.writeFileSync(empty, '');
    rejects(empty, /is not a torch.save file/);
    const safetensors = fresh('.safetensors');
    io.saveSafetensors(safetensors, { x: torch.ones(2) });
    rejects(safetensors, /is not a torch.save file/);
  });

  it('truncated archives, cut at many points', () => {
    const whole = fresh();
    io.save(whole, { a: torch.arange(64, { dtype: 'float32' }), b: torch.ones([8, 8], { dtype: 'int64' }) });
    const bytes = fs.readFileSync(whole);
    for (const keep of [4, 30, 200, bytes.length >> 1, bytes.length - 100, bytes.length - 22, bytes.length - 1]) {
      const cut = fresh();
      fs.writeFileSync(cut, bytes.subarray(0, keep));
      rejects(cut, /truncated/);
    }
  });

  it('flipped bytes in tensor data or in data.pkl fail the CRC-32 check', () => {
    const whole = fresh();
    io.save(whole, { a: torch.arange(64, { dtype: 'float32' }) });
    const bytes = fs.readFileSync(whole);
    const dataAt = bytes.indexOf(Buffer.from([0, 0, 0x80, 0x3f])); // 1.0f, element 1 of a
    const badData = Buffer.from(bytes);
    badData[dataAt + 2] ^= 0x10;
    const f1 = fresh();
    fs.writeFileSync(f1, badData);
    rejects(f1, /zip entry "f\d+\/data\/0": CRC-32 mismatch .*corrupt/);
    const pklAt = bytes.indexOf(Buffer.from('FloatStorage'));
    const badPkl = Buffer.from(bytes);
    badPkl[pklAt] = 'D'.charCodeAt(0); // DloatStorage: still a readable pickle, but not what was written
    const f2 = fresh();
    fs.writeFileSync(f2, badPkl);
    rejects(f2, /data.pkl": CRC-32 mismatch/);
  });

  it('a zip with no version record, a big-endian byteorder, or no data.pkl', () => {
    rejects(archive(statePickle({}), {}, null), /has no arc\/version record/);
    rejects(archive(statePickle({}), { byteorder: Buffer.from('big') }), /arc\/byteorder: is not "little": big-endian/);
    const file = fresh();
    writeFileAtomic(file, (sink) => {
      const zip = new TorchZipWriter(sink);
      zip.add('arc/version', 2, [Buffer.from('3\n')]);
      zip.finish();
    });
    rejects(file, /has no arc\/data.pkl, so it is not a torch.save file/);
  });
});

describe('torch.save archives: hostile or unsupported pickles', () => {
  it('views past their storage, missing storage records, storage sizes that do not match', () => {
    rejects(archive(statePickle({ w: { numel: 4, size: [10], stride: [1] } }), { 'data/0': floats(4) }), /tensor "w": offset 0, size \[10\], stride \[1\] reach element 9 of a storage with 4/);
    rejects(archive(statePickle({ w: { numel: 4, offset: 3, size: [2, 2], stride: [1, 1] } }), { 'data/0': floats(4) }), /reach element 5/);
    rejects(archive(statePickle({ w: { numel: 4, key: '5', size: [4], stride: [1] } }), { 'data/0': floats(4) }), /storage record arc\/data\/5 is missing/);
    rejects(archive(statePickle({ w: { numel: 100, size: [4], stride: [1] } }), { 'data/0': floats(4) }), /arc\/data\/0 holds 16 bytes, but 100 elements of float32 need 400/);
    // A numel meant to make the reader allocate exabytes is caught by the record's real size.
    rejects(archive(statePickle({ w: { numel: 2n ** 60n, size: [4], stride: [1] } }), { 'data/0': floats(4) }), /malformed storage id|need/);
    rejects(archive(statePickle({ w: { numel: 2 ** 50, size: [4], stride: [1] } }), { 'data/0': floats(4) }), /holds 16 bytes, but 1125899906842624 elements/);
  });

  it('a good tensor then a bad one leaves nothing behind', () => {
    rejects(archive(statePickle({ ok: { numel: 4, size: [4], stride: [1] }, bad: { numel: 4, size: [5], stride: [1] } }), { 'data/0': floats(4) }), /tensor "bad"/);
  });

  it('unsupported storage dtypes and malformed persistent ids', () => {
    rejects(archive(statePickle({ w: { type: 'ComplexFloatStorage', numel: 1, size: [1], stride: [1] } })), /torch.ComplexFloatStorage holds a dtype torchtrain does not support/);
    const pid = Buffer.concat([OD, Buffer.from('(X\x01\x00\x00\x00wX\x03\x00\x00\x00abcQu.', 'latin1')]);
    rejects(archive(pid), /persistent id "abc" is not a \('storage', type, key, location, numel\) tuple/);
  });

  it('globals outside the allow-list', () => {
    const os = Buffer.from('\x80\x02cos\nsystem\nX\x05\x00\x00\x00echo!\x85R.', 'latin1');
    rejects(archive(os), /global os.system is not supported: io.load reads state dicts/);
    const stackGlobal = Buffer.from('\x80\x04\x8c\x08builtins\x8c\x04eval\x93.', 'latin1');
    rejects(archive(stackGlobal), /global builtins.eval is not supported/);
  });

  it('unknown opcodes, truncated streams, bad memo references, stack underflow', () => {
    rejects(archive(Buffer.from('\x80\x02}I42\n.', 'latin1')), /unsupported pickle opcode 0x49 \("I"\).*opcode at byte 3/);
    rejects(archive(Buffer.from('\x80\x02}(X\xff\xff\xff\x7fab', 'latin1')), /truncated: needs 2147483647 more bytes/);
    rejects(archive(Buffer.from('\x80\x02}h\x07.', 'latin1')), /memo entry 7 was never stored/);
    rejects(archive(Buffer.from('\x80\x02.', 'latin1')), /stack underflow/);
    rejects(archive(Buffer.from('\x80\x02}', 'latin1')), /truncated/);
    rejects(archive(Buffer.from('\x80\x02]K\x01K\x02s.', 'latin1')), /SETITEM on a tuple\/list, not a dict/);
    rejects(archive(Buffer.from('\x80\x09}.', 'latin1')), /pickle protocol above 5/);
    rejects(archive(Buffer.from('\x80\x02u.', 'latin1')), /no MARK/);
    rejects(archive(Buffer.concat([Buffer.from('\x80\x02\x8a\xff', 'latin1'), Buffer.alloc(255), Buffer.from('.')])), /integer of 255 bytes/);
  });

  it('roots and values that are not a flat state dict', () => {
    rejects(archive(Buffer.from('\x80\x02]q\x00h\x00a.', 'latin1')), /holds a tuple\/list, not a dict of tensors/);
    // {"loop": a list that contains itself}: refused by kind, never walked.
    rejects(archive(Buffer.concat([OD, Buffer.from('X\x04\x00\x00\x00loop]q\x00h\x00as.', 'latin1')])), /key "loop"\S*: holds a tuple\/list; io.load reads flat state dicts/);
    rejects(archive(Buffer.concat([OD, Buffer.from('K\x01X\x01\x00\x00\x00as.', 'latin1')])), /has a number key/);
  });
});

describe.skipIf(!py)('torch.save archives from Python that io.load does not read', () => {
  it('legacy (pre-1.6) files, TorchScript archives, whole modules, single tensors, nested dicts, protocol 0', async () => {
    const [legacy, script, module, single, nested, proto0] = [fresh(), fresh(), fresh(), fresh(), fresh(), fresh()];
    await py!.run(`
torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), script)
torch.save({"m": torch.nn.Linear(2, 2)}, module)
torch.save(torch.ones(3), single)
torch.save({"opt": {"lr": 0.1}}, nested)
torch.save({"w": torch.ones(2)}, proto0, pickle_protocol=0)
out = None`, { legacy, script, module, single, nested, proto0 });
    rejects(legacy, /legacy \(pre-1.6, non-zip\) torch.save file.*torch.save\(torch.load\(path\), path\)/);
    rejects(script, /is a TorchScript archive \(torch.jit.save\), not a torch.save file: load it with jit.load/);
    rejects(module, /global torch.nn.modules.linear.Linear is not supported/);
    rejects(single, /holds a single tensor, not a dict of tensors/);
    rejects(nested, /key "opt"\S*: holds a dict/);
    rejects(proto0, /unsupported pickle opcode/);
  });

  it('re-zipped archives: deflated ones are refused, plainly stored ones (no alignment) read', async () => {
    const [original, deflated, stored] = [fresh(), fresh(), fresh()];
    await py!.run(`
import zipfile
torch.save({"w": torch.arange(6.)}, original)
for target, method in ((deflated, zipfile.ZIP_DEFLATED), (stored, zipfile.ZIP_STORED)):
    with zipfile.ZipFile(original) as src, zipfile.ZipFile(target, "w", method) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
out = None`, { original, deflated, stored });
    rejects(deflated, /is compressed \(method 8\); torch.save stores entries uncompressed/);
    expect(io.load(stored).w.tolist()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
