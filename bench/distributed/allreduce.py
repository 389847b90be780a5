# One rank of bench/distributed/allreduce.ts's Python side: the same all-reduce loop.
#   allreduce.py <mb[,mb...]> <base iters>
import json, sys, time
from datetime import timedelta
import torch, torch.distributed as dist

sizes, base = [float(s) for s in sys.argv[1].split(',')], int(sys.argv[2])
torch.set_num_threads(1)
dist.init_process_group('gloo', timeout=timedelta(seconds=300))
results = []
for mb in sizes:
    t = torch.ones(round(mb * 1e6 / 4))
    n = max(3, round(base * 10 / max(mb, 1)))  # as itersFor in allreduce.ts
    for _ in range(3): dist.all_reduce(t)
    dist.barrier()
    start = time.perf_counter()
    for _ in range(n): dist.all_reduce(t)
    results.append({'mb': mb, 'ms': (time.perf_counter() - start) * 1e3 / n})
    del t
if dist.get_rank() == 0: print(json.dumps({'results': results}))
dist.destroy_process_group()
