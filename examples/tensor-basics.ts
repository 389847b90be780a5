// A first look at torchtrain's tensors and autograd: the quickstart's example.
//   npx tsx examples/tensor-basics.ts
import { torch } from '../lib/index.js';

torch.manualSeed(0);

const x = torch.tensor([[1, 2], [3, 4]]);
const w = torch.randn([2, 3], { requiresGrad: true });
console.log('x =', x.toString());
console.log('w =', w.toString());

// A scope frees every tensor made inside it except what it returns.
const loss = torch.scope(() => x.matmul(w).tanh().sum());
loss.backward();
console.log('loss =', loss.item());
console.log('dloss/dw =', w.grad!.toString());

// Gradients of gradients: d/dw of |dloss/dw|^2 (a gradient penalty).
const [g] = torch.autograd.grad(x.matmul(w).tanh().sum(), w, { createGraph: true });
const penalty = g!.square().sum();
const [gg] = torch.autograd.grad(penalty, w);
console.log('d|g|^2/dw =', gg!.toString());

torch.noGrad(() => {
  const y = x.matmul(w);
  console.log('inside noGrad, requiresGrad =', y.requiresGrad);
});
console.log('live tensors:', torch.memory().tensors);
