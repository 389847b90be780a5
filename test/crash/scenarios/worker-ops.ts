// A worker thread for the worker-termination scenario: runs a seeded mix of torchtrain work in
// a loop until it is terminated: tensor math, autograd, a Linear layer and AdamW steps, scopes,
// failing ops (errors thrown through the native boundary), io.save/io.load and saveSafetensors
// in a temp folder, and a TorchScript module's forward.
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { io, jit, nn, optim, torch } from '../../../lib/index.js';

const { seed, dir, script } = workerData as { seed: number; dir: string; script: string };
let state = seed >>> 0 || 1;
const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);

const model = new nn.Linear(16, 8);
const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
const module = jit.load(script);
const held = torch.ones([1 << 18]); // 1 MiB
parentPort!.postMessage('ready');
const files = [path.join(dir, `w${seed}.pt`), path.join(dir, `w${seed}.safetensors`)];
for (let i = 0; ; i++) {
  const k = Math.floor(random() * 6);
  torch.scope(() => {
    if (k === 0) {
      const x = torch.randn([32, 32], { requiresGrad: true });
      x.matmul(x).tanh().sum().backward();
      x.grad?.add(held.narrow(0, 0, 1)).sum().item();
    } else if (k === 1) {
      opt.zeroGrad();
      model.forward(torch.randn([4, 16])).pow(2).mean().backward();
      opt.step();
    } else if (k === 2) {
      try {
        torch.ones([3]).add(torch.ones([4]));
      } catch {
        // expected: a TorchError built in C++ and thrown into JS
      }
      try {
        torch.ones([2]).view([-1, -1]);
      } catch {
        // expected
      }
    } else if (k === 3) {
      io.save(files[0], model.stateDict());
      io.load(files[0]);
    } else if (k === 4) {
      io.saveSafetensors(files[1], { w: torch.randn([64, 64]) });
      io.loadSafetensors(files[1]);
    } else {
      module.forward(torch.randn([3, 4])).sum().item();
    }
    // An error thrown through the native boundary on every round: the path that aborted.
    try {
      torch.zeros([2]).matmul(torch.zeros([3]));
    } catch {
      // expected
    }
  });
}
