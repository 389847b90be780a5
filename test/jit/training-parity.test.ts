// Training a TorchScript module in torchtrain gives what training it in PyTorch gives: an MLP
// scripted in Python, trained 5 plain-SGD steps here, saved and loaded back in Python, equals
// the same module trained the same steps in Python. BatchNorm and Dropout follow train/eval,
// with the same random masks and running statistics as PyTorch under the same seed.
import { afterAll, describe, expect, it } from 'vitest';
import { jit, torch } from '../../lib/index.js';
import { type PyTensor, TorchPython, compareTensors } from '../helpers/python.js';
import { exportModel, fromPy, tempDir } from './python-models.js';

const py = await TorchPython.start();
const tmp = tempDir();
afterAll(() => {
  py?.close();
  tmp.remove();
});

const TOL = { rtol: 1e-6, atol: 1e-6 };

describe.skipIf(!py)('training a TorchScript module', () => {
  it('5 SGD steps on an MLP match PyTorch, and the saved module loads in Python', async () => {
    const file = await exportModel(py!, tmp.dir, 'MLP', 0);
    const trained = file.replace(/\.pt$/, '-trained.pt');
    torch.manualSeed(1);
    const x = torch.keep(torch.randn([32, 4]));
    const y = torch.keep(torch.randn([32, 1]));
    const lr = 0.1;

    const model = jit.load(file);
    const params = model.parameters();
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      torch.scope(() => {
        const loss = model.forward(x).sub(y).pow(2).mean();
        losses.push(loss.item());
        loss.backward();
        torch.noGrad(() => {
          for (const p of model.parameters()) p.sub_(p.grad!.mul(lr));
        });
        model.zeroGrad();
      });
    }
    expect(model.parameters().every((p, i) => p === params[i])).toBe(true);
    model.save(trained);

    const ref = await py!.run<{ losses: number[]; theirs: PyTensor[]; ours: PyTensor[]; keys: [string[], string[]]; yTheirs: PyTensor; yOurs: PyTensor }>(`
m = torch.jit.load(file)
losses = []
for step in range(5):
    loss = ((m(x) - y) ** 2).mean()
    losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        for p in m.parameters():
            p.sub_(p.grad.mul(lr))
    for p in m.parameters():
        p.grad = None
ours = torch.jit.load(trained)
out = {'losses': losses, 'theirs': list(m.parameters()), 'ours': list(ours.parameters()),
       'keys': [list(m.state_dict().keys()), list(ours.state_dict().keys())], 'yTheirs': m(x), 'yOurs': ours(x)}`,
    { file, trained, x, y, lr });

    losses.forEach((l, i) => expect(Math.abs(l - ref.losses[i]), `loss at step ${i}: ${l} vs ${ref.losses[i]}`).toBeLessThanOrEqual(1e-6 * Math.abs(ref.losses[i])));
    expect(losses[4]).toBeLessThan(losses[0]);
    params.forEach((p, i) => {
      expect(compareTensors(p, ref.theirs[i], TOL), `our parameter ${i} vs Python's training`).toBeNull();
      expect(compareTensors(p, ref.ours[i]), `our parameter ${i} vs the file we saved`).toBeNull();
    });
    expect(ref.keys[1]).toEqual(ref.keys[0]);
    expect(Object.keys(model.stateDict())).toEqual(ref.keys[0]);
    expect(compareTensors(fromPy(ref.yOurs), ref.yTheirs, TOL), 'outputs in Python of both trained modules').toBeNull();
    expect(compareTensors(model.forward(x), ref.yTheirs, TOL), 'our output vs Python\'s trained module').toBeNull();
    model.dispose();
  });

  it('BatchNorm and Dropout: training mode draws the same masks and statistics as PyTorch, eval is deterministic', async () => {
    const file = await exportModel(py!, tmp.dir, 'BatchNormDropout', 0);
    const m = jit.load(file);
    expect(m.training).toBe(true);
    torch.manualSeed(2);
    const x = torch.randn([8, 6]);

    torch.manualSeed(7);
    const yTrain = m.forward(x);
    const stats = m.namedBuffers().map(([, b]) => b);
    const ref = await py!.run<{ yTrain: PyTensor; stats: PyTensor[]; yEval: PyTensor; training: boolean[] }>(`
m = torch.jit.load(file)
torch.manual_seed(7)
yTrain = m(x)
stats = list(m.buffers())
m.eval()
out = {'yTrain': yTrain, 'stats': stats, 'yEval': m(x), 'training': [mod.training for mod in m.modules()]}`, { file, x });
    expect(compareTensors(yTrain, ref.yTrain), 'train-mode output (same dropout mask)').toBeNull();
    stats.forEach((b, i) => expect(compareTensors(b, ref.stats[i]), `buffer ${i} after one training step`).toBeNull());
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    expect(stats[2].item()).toBe(1);

    // Training mode: dropout differs between calls and zeroes activations.
    const again = m.forward(x);
    expect(compareTensors(again, { dtype: 'float32', shape: yTrain.shape, data: yTrain.data() })).not.toBeNull();
    expect(stats[2].item()).toBe(2);

    // Eval: the running statistics are used and left alone, and the output is deterministic.
    const fresh = jit.load(file);
    torch.manualSeed(7);
    fresh.forward(x);
    fresh.eval();
    expect(fresh.modules().map((mod) => mod.training)).toEqual(ref.training);
    const counted = fresh.namedBuffers()[2][1].item();
    const e1 = fresh.forward(x), e2 = fresh.forward(x);
    expect(compareTensors(e1, ref.yEval), 'eval output').toBeNull();
    expect(compareTensors(e2, ref.yEval)).toBeNull();
    expect(fresh.namedBuffers()[2][1].item()).toBe(counted);

    // Back to training, and the mode travels with the saved file.
    fresh.train();
    const saved = file.replace(/\.pt$/, '-eval.pt');
    fresh.eval().save(saved);
    const flags = await py!.run<boolean[]>('out = [mod.training for mod in torch.jit.load(saved).modules()]', { saved });
    expect(flags.every((f) => f === false)).toBe(true);
    m.dispose();
    fresh.dispose();
  });

  it('one submodule can be switched to eval alone, as in PyTorch', async () => {
    const m = jit.load(await exportModel(py!, tmp.dir, 'BatchNormDropout', 1));
    const drop = m.namedModules().find(([n]) => n === 'drop')![1];
    drop.eval();
    const x = torch.randn([4, 6]);
    const a = m.forward(x), b = m.forward(x);
    // BatchNorm still trains (batch statistics), Dropout does not drop: same output twice.
    expect(compareTensors(a, { dtype: 'float32', shape: b.shape, data: b.data() })).toBeNull();
    expect(m.training).toBe(true);
    expect(m.namedBuffers()[2][1].item()).toBe(2);
    m.dispose();
  });
});
