// Nested values in torch.save files (issue 11: optimizer.pt): io.save of an optimizer's state dict
// read by Python's torch.load (weights_only=True) and loaded by torch.optim.AdamW; Python's AdamW
// and SGD state dicts read by io.loadObject and loaded by our optimizers; every kind of value round
// trip ours -> ours and ours -> Python; hostile nesting and sizes refused cleanly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, io, nn, optim, torch } from '../../lib/index.js';
import { writeFileAtomic } from '../../lib/io/file-io.js';
import { PickleWriter } from '../../lib/io/pickle-writer.js';
import { TorchZipWriter } from '../../lib/io/zip-writer.js';
import { type PyTensor, TorchPython, compareTensors } from '../helpers/python.js';
import { sameBits } from './samples.js';

const py = await TorchPython.start();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-torchnested-'));
afterAll(() => {
  py?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
let count = 0;
const fresh = (ext = '.pt') => path.join(dir, `n${count++}${ext}`);

function model(seed: number): nn.Sequential {
  torch.manualSeed(seed);
  return new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 2));
}
const PY_MODEL = 'torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))';

torch.manualSeed(5);
const x = torch.keep(torch.randn([16, 4])), y = torch.keep(torch.randn([16, 2]));

function steps(m: nn.Module, opt: optim.Optimizer, n: number, sched?: optim.StepLR): void {
  for (let i = 0; i < n; i++) {
    torch.scope(() => {
      opt.zeroGrad();
      nn.functional.mseLoss(m.forward(x), y).backward();
      opt.step();
      sched?.step();
    });
  }
}
const PY_STEPS = (opt: string, n: number, sched = '') => `
for _ in range(${n}):
    ${opt}.zero_grad()
    F.mse_loss(m(x), y).backward()
    ${opt}.step()
    ${sched ? `${sched}.step()` : ''}`;

/** Python's view of a group: each value with its Python type name. */
type PyGroups = Record<string, [string, unknown]>[];
const PY_DESCRIBE = `
def describe(sd):
    return {"key_types": sorted({type(k).__name__ for k in sd["state"]}),
            "state": {str(k): {n: t.clone() for n, t in s.items()} for k, s in sd["state"].items()},  # steps to come change them in place
            "groups": [{k: [type(v).__name__, v] for k, v in g.items()} for g in sd["param_groups"]]}`;

/** The Python types io.save gives our group values (betas written as a tuple). */
function pythonTyped(group: Record<string, unknown>): Record<string, [string, unknown]> {
  const type = (v: unknown) => (v instanceof io.PyTuple ? 'tuple' : Array.isArray(v) ? 'list' : typeof v === 'boolean' ? 'bool'
    : v === null ? 'NoneType' : Number.isSafeInteger(v) ? 'int' : 'float');
  return Object.fromEntries(Object.entries(group).map(([k, v]) => [k, [type(v), Array.isArray(v) ? [...v] : v]]));
}

function expectStateEqual(ours: Record<string, Record<string, Tensor>>, theirs: Record<string, Record<string, PyTensor>>): void {
  expect(Object.keys(ours)).toEqual(Object.keys(theirs));
  for (const [i, entry] of Object.entries(ours)) {
    expect(Object.keys(entry).sort(), `state[${i}]`).toEqual(Object.keys(theirs[i]).sort());
    for (const [name, t] of Object.entries(entry)) expect(compareTensors(t, theirs[i][name]), `state[${i}].${name}`).toBeNull();
  }
}

function expectParamsClose(m: nn.Module, theirs: PyTensor[]): void {
  m.parameters().forEach((p, i) => expect(compareTensors(p.detach(), theirs[i], { atol: 1e-6 }), `parameter ${i}`).toBeNull());
}

describe.skipIf(!py)('optimizer state dicts with Python PyTorch', () => {
  it('our AdamW state dict (2 groups, a schedule) is read by torch.load(weights_only=True) and loads into torch.optim.AdamW', async () => {
    const m = model(1);
    const opt = new optim.AdamW([{ params: m.at(0).parameters(), lr: 1e-2, weightDecay: 0.05 }, { params: m.at(2).parameters(), weightDecay: 0 }],
      { lr: 3e-3, betas: [0.85, 0.99], eps: 1e-6 });
    const sched = new optim.StepLR(opt, 1, 0.5);
    steps(m, opt, 2, sched);
    const sd = opt.stateDict();
    const file = fresh();
    // What a checkpoint writes: state keyed by index (written as ints), betas as a tuple.
    const groups = sd.param_groups.map((g) => ({ ...g, betas: io.tuple(g.betas as number[]) }));
    io.save(file, { state: sd.state, param_groups: groups });
    const theirs = await py!.run<{ top: string; key_types: string[]; state: Record<string, Record<string, PyTensor>>; groups: PyGroups; params: PyTensor[] }>(`${PY_DESCRIBE}
sd = torch.load(path)
out = describe(sd)
out["top"] = type(sd).__name__
m = ${PY_MODEL}
m.load_state_dict(weights)
opt = torch.optim.AdamW([{"params": m[0].parameters()}, {"params": m[2].parameters()}])
opt.load_state_dict(sd)
${PY_STEPS('opt', 1)}
out["params"] = [p.detach() for p in m.parameters()]`, { path: file, weights: m.stateDict(), x, y });
    expect(theirs.top).toBe('OrderedDict');
    expect(theirs.key_types).toEqual(['int']);
    expectStateEqual(sd.state as Record<string, Record<string, Tensor>>, theirs.state);
    expect(theirs.groups).toEqual(groups.map(pythonTyped));
    expect(theirs.groups[0]).toMatchObject({ betas: ['tuple', [0.85, 0.99]], lr: ['float', 2.5e-3], initial_lr: ['float', 1e-2], weight_decay: ['float', 0.05],
      eps: ['float', 1e-6], amsgrad: ['bool', false], params: ['list', [0, 1]] });
    expect(theirs.groups[1]).toMatchObject({ weight_decay: ['int', 0], params: ['list', [2, 3]] });
    // One more step on both sides, from the same state: the same parameters.
    steps(m, opt, 1);
    expectParamsClose(m, theirs.params);
  });

  it("Python's AdamW (with StepLR) and SGD-momentum state dicts are read by io.loadObject and resume in our optimizers", async () => {
    const [pa, ps, wa, ws] = [fresh(), fresh(), fresh(), fresh()];
    const theirs = await py!.run<Record<'adamw' | 'sgd', { key_types: string[]; state: Record<string, Record<string, PyTensor>>; groups: PyGroups; params: PyTensor[] }>>(`${PY_DESCRIBE}
out = {}
for name, make, p, w in (("adamw", lambda ps: torch.optim.AdamW(ps, lr=1e-2, betas=(0.8, 0.95), weight_decay=0.1), pa, wa),
                         ("sgd", lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9), ps_, ws)):
    torch.manual_seed(2)
    m = ${PY_MODEL}
    opt = make(m.parameters())
    sched = torch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5) if name == "adamw" else None
    for _ in range(2):
        opt.zero_grad()
        F.mse_loss(m(x), y).backward()
        opt.step()
        if sched: sched.step()
    torch.save(opt.state_dict(), p)
    torch.save(m.state_dict(), w)
    out[name] = describe(opt.state_dict())
${PY_STEPS('opt', 1).replace(/\n/g, '\n    ')}
    out[name]["params"] = [p.detach() for p in m.parameters()]`, { pa, ps_: ps, wa, ws, x, y });
    for (const [name, file, weights] of [['adamw', pa, wa], ['sgd', ps, ws]] as const) {
      const loaded = io.loadObject(file) as { state: Record<string, Record<string, Tensor>>; param_groups: Record<string, unknown>[] };
      expect(Object.keys(loaded), name).toEqual(['state', 'param_groups']);
      expect(theirs[name].key_types).toEqual(['int']);
      expectStateEqual(loaded.state, theirs[name].state);
      expect(loaded.param_groups.length).toBe(1);
      const group = loaded.param_groups[0];
      expect(Object.keys(group)).toEqual(Object.keys(theirs[name].groups[0]));
      for (const [k, [type, value]] of Object.entries(theirs[name].groups[0])) {
        expect(group[k], `${name} ${k}`).toEqual(value);
        if (type === 'tuple') expect(group[k], k).toBeInstanceOf(io.PyTuple);
        if (type === 'list') expect(group[k] instanceof io.PyTuple, k).toBe(false);
      }
      const m = model(0);
      m.loadStateDict(io.load(weights));
      const opt = name === 'adamw' ? new optim.AdamW(m.parameters()) : new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 });
      opt.loadStateDict(loaded as optim.OptimizerStateDict);
      steps(m, opt, 1);
      expectParamsClose(m, theirs[name].params);
    }
    const adamw = (io.loadObject(pa) as { param_groups: Record<string, unknown>[] }).param_groups[0];
    expect(adamw).toMatchObject({ betas: [0.8, 0.95], foreach: null, fused: null, differentiable: false, capturable: false, amsgrad: false,
      decoupled_weight_decay: true, initial_lr: 0.01, lr: 0.0025, params: [0, 1, 2, 3] });
  });

  it('every kind of value is read by torch.load(weights_only=True) as the Python value it stands for', async () => {
    const file = fresh();
    const t = torch.arange(3, { dtype: 'float32' });
    const shared = { a: 1 };
    io.save(file, {
      '0': 'a top-level key stays a str',
      nested: { '0': 'int key', '-3': 'negative int key', '007': 'str key', '1.5': 'str key' },
      map: new Map<string | number | bigint | boolean | null, unknown>([['0', 's'], [1, 'i'], [2n ** 70n, 'big'], [0.5, 'f'], [false, 'b'], [null, 'n']]),
      list: [1, [2, [3]], []],
      tuples: [io.tuple([]), io.tuple([1]), io.tuple([1, 2]), io.tuple([1, 2, 3]), io.tuple([1, 2, 3, 4, 5])],
      numbers: [0, -0, 1.5, NaN, Infinity, -Infinity, 2 ** 53, Number.MAX_SAFE_INTEGER, -(2 ** 31), 1e300],
      bigints: [2n ** 62n, -(2n ** 70n)],
      strings: ['', 'ünï©ødé ✓'],
      flags: [true, false, null],
      tensors: { t, again: t, p: new nn.Parameter(torch.ones([2])) },
      shared: [shared, shared],
    });
    const out = await py!.run<string>(`
import collections, math
v = torch.load(path)
assert type(v) is collections.OrderedDict and v["0"].startswith("a top")
assert v["nested"] == {0: "int key", -3: "negative int key", "007": "str key", "1.5": "str key"}
assert type(v["nested"]) is dict
assert v["map"] == {"0": "s", 1: "i", 2**70: "big", 0.5: "f", False: "b", None: "n"} and any(k is False for k in v["map"])
assert v["list"] == [1, [2, [3]], []] and type(v["list"][1]) is list
assert v["tuples"] == [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4, 5)]
n = v["numbers"]
assert [type(z).__name__ for z in n] == ["int", "float", "float", "float", "float", "float", "float", "int", "int", "float"], n
assert n[0] == 0 and math.copysign(1, n[1]) == -1 and n[2] == 1.5 and math.isnan(n[3]) and n[4] == math.inf and n[5] == -math.inf
assert n[6] == 2**53 and n[7] == 2**53 - 1 and n[8] == -2**31 and n[9] == 1e300
assert v["bigints"] == [2**62, -2**70]
assert v["strings"] == ["", "ünï©ødé ✓"] and v["flags"] == [True, False, None]
ts = v["tensors"]
assert ts["t"] is ts["again"] and ts["t"].tolist() == [0, 1, 2] and ts["p"].requires_grad
assert v["shared"][0] is v["shared"][1] and v["shared"][0] == {"a": 1}
out = "ok"`, { path: file });
    expect(out).toBe('ok');
  });
});

describe('io.save / io.loadObject round trip', () => {
  it('our optimizer state dict resumes exactly through a file', () => {
    const a = model(3), b = model(3);
    const optA = new optim.AdamW(a.parameters(), { lr: 5e-3, amsgrad: true });
    steps(a, optA, 2);
    const file = fresh();
    io.save(file, optA.stateDict());
    const back = io.loadObject(file) as unknown as optim.OptimizerStateDict;
    expect(Object.keys(back.state)).toEqual(['0', '1', '2', '3']);
    expect(back.param_groups[0]).toMatchObject({ lr: 5e-3, betas: [0.9, 0.999], amsgrad: true, params: [0, 1, 2, 3] });
    b.loadStateDict(a.stateDict());
    const optB = new optim.AdamW(b.parameters(), { lr: 1 });
    optB.loadStateDict(back);
    steps(a, optA, 3);
    steps(b, optB, 3);
    b.parameters().forEach((p, i) => expect(p.equal(a.parameters()[i]), `parameter ${i}`).toBe(true));
  });

  it('every kind of value comes back as it went in (keys, tuples, numbers, sharing)', () => {
    const file = fresh();
    const t = torch.randn([2, 3]);
    const shared = ['s'];
    const map = new Map<string | number | bigint | boolean | null, unknown>([['0', 'str'], [1, 'int'], [2n ** 70n, 'big'], [0.5, 'float'], [null, 'none']]);
    const value = {
      '0': 'top-level key', odd: JSON.parse('{"__proto__": {"polluted": true}}') as object,
      nested: { '0': 'int key', '-3': 'neg', '007': 'str', a: { b: { c: [io.tuple([1, io.tuple([2, 3])])] } } },
      map,
      numbers: [0, -0, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 1e300],
      bigints: [2n ** 62n, -(2n ** 70n)],
      misc: ['', 'ü ✓', true, false, null],
      tensors: [t, t, t.t()],
      shared: [shared, shared],
    };
    io.save(file, value);
    const back = io.loadObject(file) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(Object.keys(back)).toEqual(['0', 'odd', 'nested', 'map', 'numbers', 'bigints', 'misc', 'tensors', 'shared']);
    expect(Object.keys(back.odd)).toEqual(['__proto__']); // an own key, not the prototype
    expect(Object.getPrototypeOf(back.odd)).toBe(Object.prototype);
    expect(back.nested).toEqual({ '0': 'int key', '-3': 'neg', '007': 'str', a: { b: { c: [[1, [2, 3]]] } } });
    expect(back.nested.a.b.c[0]).toBeInstanceOf(io.PyTuple);
    expect(back.nested.a.b.c[0][1]).toBeInstanceOf(io.PyTuple);
    expect(back.nested.a.b.c instanceof io.PyTuple).toBe(false);
    expect(back.map).toBeInstanceOf(Map); // a str key in integer form below the top needs a Map
    expect([...back.map.entries()]).toEqual([...map.entries()]);
    expect(back.numbers).toEqual(value.numbers);
    expect(Object.is(back.numbers[1], -0)).toBe(true);
    expect(back.bigints).toEqual(value.bigints);
    expect(back.misc).toEqual(value.misc);
    expect(sameBits(back.tensors[0], t) && sameBits(back.tensors[2], t.t())).toBe(true);
    expect(back.tensors[0]).toBe(back.tensors[1]);
    expect(back.shared[0]).toBe(back.shared[1]);
    // Written back and read again, it is the same (tensors aside: they are compared above).
    const again = fresh();
    io.save(again, { ...back, tensors: null });
    expect(io.loadObject(again)).toEqual({ ...back, tensors: null });
  });

  it('a flat state dict reads the same through loadObject and loadValues; top-level values of any kind', () => {
    const file = fresh();
    io.save(file, { w: torch.ones([2]), step: 3, name: 'x' });
    const a = io.loadObject(file) as Record<string, unknown>, b = io.loadValues(file);
    expect(Object.keys(a)).toEqual(Object.keys(b));
    expect([a.step, a.name]).toEqual([3, 'x']);
    const values: [unknown, unknown][] = [[[1, 'two'], [1, 'two']], [io.tuple([1]), [1]], [7, 7], [null, null], [new Map([[0, 'a']]), new Map([[0, 'a']])]];
    for (const [v, expected] of values) {
      io.save(file, v as object);
      expect(io.loadObject(file)).toEqual(expected);
    }
    io.save(file, torch.arange(4));
    expect((io.loadObject(file) as Tensor).tolist()).toEqual([0, 1, 2, 3]);
    // Nested files are still refused by the flat readers.
    io.save(file, { opt: { lr: 0.1 } });
    expect(() => io.loadValues(file)).toThrow(/key "opt"\S*: holds a dict/);
  });

  it('values io.save cannot store are refused before the file is touched', () => {
    const file = fresh();
    const cycle: unknown[] = [];
    cycle.push({ inner: cycle });
    let deep: unknown = 1;
    for (let i = 0; i < 101; i++) deep = [deep];
    const disposed = torch.ones([1]);
    disposed.dispose();
    const cases: [unknown, RegExp][] = [
      [{ a: cycle }, /values\["a"\]\[0\]\["inner"\] contains itself \(a cycle\)/],
      [deep, /values(\[0\]){100} is nested deeper than 100 levels/],
      [{ a: { b: undefined } }, /values\["a"\]\["b"\] must be a Tensor, number.* got undefined \(write null for None\)/],
      [{ f: () => 1 }, /values\["f"\] must be .* got function/],
      [{ d: new Date() }, /values\["d"\] must be .* got a Date/],
      [{ s: new Map<unknown, string>([[1, 'a'], [1n, 'b']]) }, /values\["s"\] has the key 1n twice/],
      [{ s: new Map([[{}, 'a']]) }, /values\["s"\] has a key of type object/],
      [{ opt: { state: { 0: { t: disposed } } } }, /values\["opt"\]\["state"\]\[0\]\["t"\] has been disposed/],
    ];
    for (const [v, pattern] of cases) {
      expect(() => io.save(file, v as object)).toThrow(pattern);
      expect(fs.existsSync(file)).toBe(false);
    }
  });
});

describe('hostile nested torch.save files', () => {
  function archive(pickle: Uint8Array, records: Record<string, Uint8Array> = {}): string {
    const file = fresh();
    writeFileAtomic(file, (sink) => {
      const zip = new TorchZipWriter(sink);
      zip.add('arc/data.pkl', pickle.length, [pickle]);
      zip.add('arc/version', 2, [Buffer.from('3\n')]);
      for (const [name, bytes] of Object.entries(records)) zip.add(`arc/${name}`, bytes.length, [bytes]);
      zip.finish();
    });
    return file;
  }

  function refused(file: string, pattern: RegExp): void {
    const live = torch.memory().tensors;
    let error: unknown;
    try {
      io.loadObject(file);
    } catch (err) {
      error = err;
    }
    expect(error, `${file} should be refused`).toBeInstanceOf(io.WeightsFileError);
    expect((error as Error).message.startsWith(file)).toBe(true);
    expect((error as Error).message).toMatch(pattern);
    expect(torch.memory().tensors, 'tensors left behind').toBe(live);
  }

  /** n nested lists, built without recursion: n EMPTY_LISTs, then n-1 APPENDs. */
  const nestedLists = (n: number) => Buffer.concat([Buffer.from('\x80\x02', 'latin1'), Buffer.alloc(n, ']'), Buffer.alloc(n - 1, 'a'), Buffer.from('.')]);

  it('nesting deeper than 100 levels, a million levels included, is refused without overflowing the stack', () => {
    expect(io.loadObject(archive(nestedLists(100)))).toBeInstanceOf(Array);
    refused(archive(nestedLists(101)), /data.pkl, (\[0\]){100}: is nested deeper than 100 levels/);
    refused(archive(nestedLists(1_000_000)), /is nested deeper than 100 levels/);
    // Dicts: {"k": {"k": ...}}, as EMPTY_DICT then SETITEMs from the inside out.
    const n = 500;
    const dicts = Buffer.concat([Buffer.from('\x80\x02', 'latin1'), ...Array.from({ length: n }, () => Buffer.from('}X\x01\x00\x00\x00k')), Buffer.from('}'), Buffer.alloc(n, 's'), Buffer.from('.')]);
    refused(archive(dicts), /k\.k\.k\.k.*: is nested deeper than 100 levels/);
  });

  it('self-containing values are refused; shared ones (2^60 paths) are converted once and stay shared', () => {
    refused(archive(Buffer.from('\x80\x02]q\x00h\x00a.', 'latin1')), /contains itself \(a cycle\)/);
    refused(archive(Buffer.from('\x80\x02}q\x00X\x01\x00\x00\x00kh\x00s.', 'latin1')), /data.pkl, k: contains itself/);
    // L0 = []; L(i+1) = [Li, Li] (via the memo): a tree of 2^60 leaves in a few hundred bytes.
    const p = new PickleWriter().proto().emptyList().put(0);
    for (let i = 1; i <= 60; i++) p.get(i - 1).get(i - 1).tuple(2).put(i);
    const top = io.loadObject(archive(p.stop().bytes())) as unknown[][];
    expect(top[0]).toBe(top[1]);
  });

  it('huge declared sizes and lengths are refused before allocating', () => {
    const storage = (numel: number) => {
      const w = new PickleWriter().proto().emptyDict().mark().str('state').emptyList().mark();
      w.global('torch._utils', '_rebuild_tensor_v2').mark();
      w.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(numel).tuple(5).persistentId();
      w.int(0).int(4).tuple(1).int(1).tuple(1).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple(6).reduce();
      return w.appends().setItems().stop().bytes();
    };
    refused(archive(storage(2 ** 50), { 'data/0': Buffer.alloc(16) }), /tensor "state\[0\]": storage arc\/data\/0 holds 16 bytes, but 1125899906842624 elements/);
    refused(archive(Buffer.from('\x80\x02](X\xff\xff\xff\x7fab', 'latin1')), /truncated: needs 2147483647 more bytes/);
    refused(archive(Buffer.from('\x80\x02]\x8d\x00\x00\x00\x00\x00\x00\x00\x10', 'latin1')), /length 1152921504606846976 exceeds the stream/);
    refused(archive(Buffer.from('\x80\x02]\x8b\xff\xff\xff\x7f', 'latin1')), /truncated/);
    refused(archive(Buffer.from('\x80\x02](K\x01K\x02\x86K\x03a.', 'latin1')), /APPEND on a tuple, not a list/);
  });

  it('globals outside the allow-list and classes used as values are refused wherever they sit', () => {
    refused(archive(Buffer.from('\x80\x02}(X\x01\x00\x00\x00a]cos\nsystem\nas.', 'latin1')), /global os.system is not supported/);
    refused(archive(Buffer.from('\x80\x02}(X\x01\x00\x00\x00accollections\nOrderedDict\nu.', 'latin1')), /data.pkl, a: holds a Python class or function itself, not a value/);
  });
});

describe.skipIf(!py)('hostile nested files from Python', () => {
  it('deep nesting, sets and custom classes are refused; a tensor before them is freed', async () => {
    const [deep, sets, custom] = [fresh(), fresh(), fresh()];
    await py!.run(`
import collections
v = []
for _ in range(150): v = [v]
torch.save({"w": torch.ones(2), "deep": v}, deep)
torch.save({"w": torch.ones(2), "s": {1, 2}}, sets)
torch.save({"w": torch.ones(2), "c": collections.Counter("ab")}, custom)
out = None`, { deep, sets, custom });
    const live = torch.memory().tensors;
    expect(() => io.loadObject(deep)).toThrow(/deep(\[0\]){99}: is nested deeper than 100 levels/);
    expect(() => io.loadObject(sets)).toThrow(/global (__builtin__|builtins).set is not supported/);
    expect(() => io.loadObject(custom)).toThrow(/global collections.Counter is not supported/);
    expect(torch.memory().tensors).toBe(live);
  });
});
