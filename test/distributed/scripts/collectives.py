# One rank of the Python reference job: the cases of cases.json with torch.distributed (gloo) on the
# same inputs as collectives.ts; results to <outDir>/rank-<rank>.json.
import json, os, sys
from datetime import timedelta
import torch
import torch.distributed as dist

out_dir = sys.argv[1]
cases = json.load(open(os.path.join(os.path.dirname(__file__), 'cases.json')))
dist.init_process_group('gloo', timeout=timedelta(seconds=60))
rank, world = dist.get_rank(), dist.get_world_size()
shape = cases['shape']
numel = 1
for s in shape: numel *= s
DT = {'float32': torch.float32, 'float64': torch.float64, 'float16': torch.float16, 'bfloat16': torch.bfloat16,
      'int64': torch.int64, 'int32': torch.int32, 'int8': torch.int8, 'uint8': torch.uint8}
NAME = {v: k for k, v in DT.items()}
OPS = {'sum': dist.ReduceOp.SUM, 'max': dist.ReduceOp.MAX, 'min': dist.ReduceOp.MIN}

def input_(dtype, k=0):
    base = torch.arange(numel, dtype=torch.float64).reshape(shape)
    is_float = dtype.startswith('float') or dtype == 'bfloat16'
    values = base.mul(0.37).sub(3).add(rank * 1.25 + k * 0.5) if is_float else base.mul(rank + 1).add(rank + k)
    return values.to(DT[dtype])

def values(t): return t.to(torch.float64).tolist()

results = {}
def record(name, run):
    try:
        results[name] = {'ok': True, **run()}
    except Exception as e:
        results[name] = {'ok': False, 'error': str(e).split('\n')[0]}

def all_reduce(dtype, op):
    t = input_(dtype)
    if op == 'mean':
        # Gloo has no ReduceOp.AVG: PyTorch users sum and divide, which is what torchtrain's 'mean' does.
        if not t.is_floating_point(): raise ValueError('mean needs a floating tensor')
        dist.all_reduce(t, dist.ReduceOp.SUM)
        t.div_(world)
    else:
        dist.all_reduce(t, OPS[op])
    return {'dtype': NAME[t.dtype], 'values': values(t)}

def broadcast(dtype):
    t = input_(dtype)
    dist.broadcast(t, world - 1)
    return {'dtype': NAME[t.dtype], 'values': values(t)}

def all_gather(dtype):
    t = input_(dtype)
    out = [torch.empty_like(t) for _ in range(world)]
    dist.all_gather(out, t)
    return {'dtype': NAME[out[0].dtype], 'values': [values(o) for o in out]}

def reduce_scatter(dtype):
    inputs = [input_(dtype, k) for k in range(world)]
    out = torch.zeros(shape, dtype=DT[dtype])
    try:
        dist.reduce_scatter(out, inputs, dist.ReduceOp.SUM)
    except RuntimeError as e:
        # torch 1.13's Gloo has none: what users do instead (and what torchtrain does there).
        if 'does not support reduce_scatter' not in str(e): raise
        stacked = torch.stack(inputs)
        dist.all_reduce(stacked, dist.ReduceOp.SUM)
        out.copy_(stacked[rank])
    return {'dtype': NAME[out.dtype], 'values': values(out)}

def transposed(dtype):
    t = input_(dtype).t().contiguous()  # gloo takes contiguous tensors only; torchtrain copies for you
    dist.all_reduce(t, dist.ReduceOp.SUM)
    return {'dtype': NAME[t.dtype], 'values': values(t)}

for dtype in cases['dtypes']:
    for op in cases['reduceOps']:
        record(f'allReduce/{op}/{dtype}', lambda: all_reduce(dtype, op))
    record(f'broadcast/{dtype}', lambda: broadcast(dtype))
    record(f'allGather/{dtype}', lambda: all_gather(dtype))
    record(f'reduceScatter/{dtype}', lambda: reduce_scatter(dtype))
    record(f'allReduce/transposed/{dtype}', lambda: transposed(dtype))
dist.barrier()
json.dump(results, open(os.path.join(out_dir, f'rank-{rank}.json'), 'w'))
dist.destroy_process_group()
