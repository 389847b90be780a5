// One rank of the collectives parity job (test/distributed/collectives.test.ts): runs every case of
// cases.json on this rank's inputs and writes the results to <outDir>/rank-<rank>.json.
// collectives.py does the same with Python's torch.distributed; the test compares the two.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { distributed, torch, type Tensor, type DType } from '../../../lib/index.js';

const outDir = process.argv[2];
const cases = JSON.parse(readFileSync(path.join(import.meta.dirname, 'cases.json'), 'utf8')) as {
  dtypes: DType[]; reduceOps: distributed.ReduceOp[]; shape: number[];
};

distributed.initProcessGroup({ backend: 'gloo', timeout: 60_000 });
const rank = distributed.getRank();
const world = distributed.getWorldSize();
const numel = cases.shape.reduce((a, b) => a * b, 1);

// This rank's input k of a dtype: floats from float64 arithmetic, integers small enough not to overflow.
function input(dtype: DType, k = 0): Tensor {
  const base = torch.arange(numel, { dtype: 'float64' }).reshape(cases.shape);
  const isFloat = dtype.startsWith('float') || dtype === 'bfloat16';
  const values = isFloat ? base.mul(0.37).sub(3).add(rank * 1.25 + k * 0.5) : base.mul(rank + 1).add(rank + k);
  return values.to(dtype);
}
const values = (t: Tensor) => t.to('float64').tolist();

const results: Record<string, { ok: boolean; dtype?: string; values?: unknown; error?: string }> = {};
function record(name: string, run: () => { dtype: string; values: unknown }): void {
  try {
    results[name] = { ok: true, ...run() };
  } catch (err) {
    results[name] = { ok: false, error: (err as Error).message.split('\n')[0] };
  }
}

for (const dtype of cases.dtypes) {
  for (const op of cases.reduceOps) {
    record(`allReduce/${op}/${dtype}`, () => {
      const t = distributed.allReduce(input(dtype), op);
      return { dtype: t.dtype, values: values(t) };
    });
  }
  record(`broadcast/${dtype}`, () => {
    const t = distributed.broadcast(input(dtype), world - 1);
    return { dtype: t.dtype, values: values(t) };
  });
  record(`allGather/${dtype}`, () => {
    const ts = distributed.allGather(input(dtype));
    return { dtype: ts[0].dtype, values: ts.map(values) };
  });
  record(`reduceScatter/${dtype}`, () => {
    const inputs = Array.from({ length: world }, (_, k) => input(dtype, k));
    const t = distributed.reduceScatter(torch.zeros(cases.shape, { dtype }), inputs, 'sum');
    return { dtype: t.dtype, values: values(t) };
  });
  // A non-contiguous tensor goes through a contiguous copy and comes back in place.
  record(`allReduce/transposed/${dtype}`, () => {
    const t = input(dtype).t();
    distributed.allReduce(t, 'sum');
    return { dtype: t.dtype, values: values(t) };
  });
}
distributed.barrier();
writeFileSync(path.join(outDir, `rank-${rank}.json`), JSON.stringify(results));
distributed.destroyProcessGroup();
