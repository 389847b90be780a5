// One rank of the gradient all-reduce job (test/distributed/gradients.test.ts): parameters with
// gradients that depend on the rank, reduced in tiny buckets; each rank checks the result against
// the mean it computes itself from every rank's gradients, and prints one JSON line.
import { distributed, torch, type Tensor } from '../../../lib/index.js';

distributed.initProcessGroup({ timeout: 60_000 });
const rank = distributed.getRank();
const world = distributed.getWorldSize();
const shapes = [[4, 3], [3], [2, 2, 2], [1], [5, 7], [7]];
const dtypes = ['float32', 'float32', 'float64', 'float32', 'float32', 'float64'] as const;
const gradOf = (r: number, i: number) => torch.arange(shapes[i].reduce((a, b) => a * b, 1), { dtype: 'float64' })
  .mul(0.25 * (i + 1)).add(r * 1.5 - i).reshape(shapes[i]).to(dtypes[i]);
const params: Tensor[] = shapes.map((s, i) => {
  const p = torch.zeros(s, { dtype: dtypes[i], requiresGrad: true });
  p.grad = gradOf(rank, i);
  return p;
});
const noGrad = torch.zeros([2], { requiresGrad: true }); // skipped: no gradient on any rank
distributed.allReduceGradients([...params, noGrad], { bucketBytes: 64, firstBucketBytes: 16 });
let worst = 0;
params.forEach((p, i) => {
  let expected = gradOf(0, i).to('float64');
  for (let r = 1; r < world; r++) expected = expected.add(gradOf(r, i).to('float64'));
  expected = expected.div(world);
  worst = Math.max(worst, p.grad!.to('float64').sub(expected).abs().max().item() as number);
});
const buckets = distributed.gradientBuckets(params.map((p) => p.grad!), 64, 16).map((b) => b.params.length);
console.log(JSON.stringify({ rank, worst, buckets, noGrad: noGrad.grad === null }));
distributed.destroyProcessGroup();
