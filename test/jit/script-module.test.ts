// ScriptModule as an nn.Module: parameters are the TorchScript module's own tensors (stable
// objects, gradients land on them, in-place updates change the module), state dicts match
// Python's keys and values, to() and loadStateDict() act on the module, values of every kind
// cross into and out of methods, and a ScriptModule works as the child of a plain Module.
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, jit, nn, torch } from '../../lib/index.js';
import { type PyTensor, TorchPython, compareTensors } from '../helpers/python.js';
import { exportModel, tempDir } from './python-models.js';

const py = await TorchPython.start();
const tmp = tempDir();
afterAll(() => {
  py?.close();
  tmp.remove();
});

describe.skipIf(!py)('ScriptModule', () => {
  it('lists the parameters and buffers Python lists, in its order, as stable objects', async () => {
    const file = await exportModel(py!, tmp.dir, 'BatchNormDropout');
    const m = jit.load(file);
    const ref = await py!.run<{ params: string[]; buffers: string[]; keys: string[]; values: PyTensor[]; training: boolean }>(
      `m = torch.jit.load(file)
sd = m.state_dict()
out = {'params': [n for n, _ in m.named_parameters()], 'buffers': [n for n, _ in m.named_buffers()],
       'keys': list(sd.keys()), 'values': list(sd.values()), 'training': m.training}`, { file });
    expect(m.namedParameters().map(([n]) => n)).toEqual(ref.params);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(ref.buffers);
    expect(m.training).toBe(ref.training);
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(ref.keys);
    Object.values(sd).forEach((t, i) => expect(compareTensors(t, ref.values[i]), ref.keys[i]).toBeNull());
    // The same Parameter objects every time, so an optimizer holding them keeps working.
    const first = m.parameters();
    expect(m.parameters().every((p, i) => p === first[i])).toBe(true);
    expect(first.every((p) => p instanceof nn.Parameter && p.requiresGrad)).toBe(true);
    expect(m.namedParameters({ recurse: false })).toEqual([]);
    const lin = m.namedChildren().find(([n]) => n === 'lin')![1];
    expect(lin.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    expect(lin.parameters()[0]).toBe(first[0]);
    expect(String(m)).toContain('(bn): ScriptModule(original_name=BatchNorm1d)');
    m.dispose();
  });

  it('puts gradients from forward on its parameters, equal to Python\'s', async () => {
    const file = await exportModel(py!, tmp.dir, 'MLP', 3);
    const m = jit.load(file);
    torch.manualSeed(5);
    const x = torch.randn([8, 4]);
    const loss = m.forward(x).pow(2).sum();
    loss.backward();
    const grads = m.parameters().map((p) => p.grad);
    expect(grads.every((g) => g !== null)).toBe(true);
    const ref = await py!.run<PyTensor[]>(`m = torch.jit.load(file)
(m(x) ** 2).sum().backward()
out = [p.grad for p in m.parameters()]`, { file, x });
    grads.forEach((g, i) => expect(compareTensors(g!, ref[i]), `grad ${i}`).toBeNull());
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    m.dispose();
  });

  it('in-place updates of its parameters change what forward computes', async () => {
    const m = jit.load(await exportModel(py!, tmp.dir, 'MLP', 4));
    const x = torch.randn([3, 4]);
    const before = m.forward(x);
    torch.noGrad(() => m.parameters().forEach((p) => p.zero_()));
    expect(m.forward(x).tolist()).toEqual([[0], [0], [0]]);
    expect(before.abs().sum().item()).toBeGreaterThan(0);
    m.dispose();
  });

  it('loadStateDict copies into the module, to() moves and casts its own tensors', async () => {
    const [fileA, fileB] = [await exportModel(py!, tmp.dir, 'MLP', 10), await exportModel(py!, tmp.dir, 'MLP', 11)];
    const a = jit.load(fileA), b = jit.load(fileB);
    const x = torch.randn([5, 4]);
    const params = a.parameters();
    a.loadStateDict(b.stateDict());
    expect(compareTensors(a.forward(x), { dtype: 'float32', shape: [5, 1], data: b.forward(x).data() })).toBeNull();
    expect(() => a.loadStateDict({ 'net.0.weight': torch.zeros([2, 2]) })).toThrow(/Missing key|size mismatch/);

    a.to('float64');
    expect(a.parameters().every((p, i) => p === params[i] && p.dtype === 'float64')).toBe(true);
    const y = a.forward(x.double());
    expect(y.dtype).toBe('float64');
    const ref = await py!.run<PyTensor>('m = torch.jit.load(file)\nm.double()\nout = m(x.double())', { file: fileB, x });
    expect(compareTensors(y, ref)).toBeNull();
    a.dispose();
    b.dispose();
  });

  it('takes lists and dicts of tensors, floats and ints by the schema, and returns a tuple', async () => {
    const file = await exportModel(py!, tmp.dir, 'Containers');
    const m = jit.load(file);
    const xs = [torch.randn([2, 3]), torch.randn([2, 3]), torch.randn([2, 3])];
    const named = { a: torch.randn([2]), b: torch.randn([3, 1]) };
    const [total, shifted, scaled] = m.forward<[Tensor, Tensor[], Record<string, Tensor>]>(xs, named, 2, 3);
    const ref = await py!.run<[PyTensor, PyTensor[], Record<string, PyTensor>]>(
      'm = torch.jit.load(file)\nout = m(xs, named, 2.0, 3)', { file, xs, named });
    expect(compareTensors(total, ref[0])).toBeNull();
    shifted.forEach((t, i) => expect(compareTensors(t, ref[1][i])).toBeNull());
    expect(Object.keys(scaled)).toEqual(['a', 'b']);
    expect(compareTensors(scaled.a, ref[2].a)).toBeNull();
    expect(compareTensors(scaled.b, ref[2].b)).toBeNull();
    // A Map is a dict too; an int argument refuses a fraction, a float one takes an integer.
    const [, , viaMap] = m.forward<[Tensor, Tensor[], Record<string, Tensor>]>(xs, new Map([['a', named.a]]), 2.5, 0);
    expect(compareTensors(viaMap.a, { dtype: 'float32', shape: [2], data: named.a.mul(2.5).data() })).toBeNull();
    expect(() => m.forward(xs, named, 2, 1.5)).toThrow(/argument 'shift' \(int\) must be an integer/);
    expect(() => m.forward(xs, named, 2)).toThrow(/'shift' \(int\) is missing/);
    expect(() => m.forward(xs, named, 2, 3, 4)).toThrow(/takes 4/);
    expect(() => m.forward([torch.randn([2, 3]), 5], named, 2, 3)).toThrow(/xs'\[1\] \(Tensor\) must be a Tensor/);
    m.dispose();
  });

  it('calls other methods with ints, floats, booleans, strings, None, defaults and dicts', async () => {
    const m = jit.load(await exportModel(py!, tmp.dir, 'Containers'));
    expect(m.methodNames()).toEqual(expect.arrayContaining(['forward', 'kinds', 'counts']));
    expect(m.methodSchema('kinds')).toMatch(/kinds\(.*int n, float x, bool flag, str name/);
    expect(m.callMethod('kinds', 7, 3, true, 'ab')).toEqual([3, 1.5, false, 'abab', true, 0]);
    expect(m.callMethod('kinds', 7n, 3, false, 'x', torch.ones([1]), [4, 5], 3)).toEqual([3, 1.5, true, 'xxx', false, 9]);
    expect(m.callMethod('kinds', 2, 1, true, 'y', null, null)).toEqual([1, 0.5, false, 'yy', true, 0]);
    expect(m.callMethod('counts', { a: 2, b: 6 })).toEqual({ a: 0.5, b: 1.5 });
    expect(() => m.callMethod('nope')).toThrow(/no method 'nope' \(it has: .*kinds/);
    expect(() => m.callMethod('kinds', 7, 3, 'yes', 'ab')).toThrow(/'flag' \(bool\) must be a boolean, got a string/);
    const gone = torch.ones([1]);
    gone.dispose();
    expect(() => m.callMethod('kinds', 7, 3, true, 'ab', gone)).toThrow(/disposed Tensor/);
    m.dispose();
  });

  it('shares tied weights as one Parameter, and keeps both keys in the state dict as Python does', async () => {
    const m = jit.load(await exportModel(py!, tmp.dir, 'Tied'));
    expect(m.namedParameters().map(([n]) => n)).toEqual(['emb.weight']);
    expect(Object.keys(m.stateDict())).toEqual(['emb.weight', 'head.weight']);
    const out = m.forward(torch.tensor([1n, 2n]));
    out.sum().backward();
    expect(m.parameters()[0].grad!.shape).toEqual([10, 4]);
    m.dispose();
  });

  it('keeps attributes named like its own members under their names as keys', async () => {
    const m = jit.load(await exportModel(py!, tmp.dir, 'Awkward'));
    const ref = await py!.run<string[]>('out = list(torch.jit.load(file).state_dict().keys())', { file: m.path });
    expect(Object.keys(m.stateDict())).toEqual(ref);
    expect(typeof m.dispose).toBe('function');
    expect(m.path).toMatch(/Awkward-0\.pt$/);
    expect(m.forward(torch.ones([1, 2])).shape).toEqual([1, 2]);
    m.dispose();
  });

  it('is a child like any other inside a plain Module', async () => {
    const file = await exportModel(py!, tmp.dir, 'BatchNormDropout', 2);
    class WithHead extends nn.Module {
      backbone = jit.load(file);
      head = new nn.Linear(2, 1);
      forward(x: Tensor): Tensor {
        return this.head.forward(this.backbone.forward(x));
      }
    }
    const model = new WithHead();
    const keys = Object.keys(model.stateDict());
    expect(keys.slice(0, 2)).toEqual(['backbone.lin.weight', 'backbone.lin.bias']);
    expect(keys.slice(-2)).toEqual(['head.weight', 'head.bias']);
    expect(model.parameters().length).toBe(8);
    const x = torch.randn([4, 6]);
    model.eval();
    expect(model.backbone.training).toBe(false);
    const a = model.forward(x), b = model.forward(x);
    expect(compareTensors(a, { dtype: 'float32', shape: [4, 1], data: b.data() })).toBeNull();
    model.backbone.dispose();
  });

  it('frees its tensors with dispose() and refuses use afterwards', async () => {
    const m = jit.load(await exportModel(py!, tmp.dir, 'MLP'));
    const before = torch.memory().tensors;
    torch.scope(() => {
      for (let i = 0; i < 20; i++) m.forward(torch.randn([2, 4])).sum().backward();
    });
    m.zeroGrad();
    expect(torch.memory().tensors).toBe(before);
    const params = m.parameters();
    m.dispose();
    expect(params.every((p) => p.isDisposed)).toBe(true);
    expect(() => m.forward(torch.ones([1, 4]))).toThrow(/used after dispose/);
    const child = jit.load(m.path).namedChildren()[0][1];
    expect(() => (child as jit.ScriptModule).dispose()).toThrow(/dispose the module jit.load returned/);
  });

  it('copies nothing: a fresh forward after loading equals Python\'s', async () => {
    const file = await exportModel(py!, tmp.dir, 'MLP', 9);
    const x = torch.randn([6, 4]);
    const ref = await py!.run<PyTensor>('out = torch.jit.load(file)(x)', { file, x });
    const m = jit.load(file);
    expect(compareTensors(m.forward(x), ref)).toBeNull();
    m.dispose();
  });
});
