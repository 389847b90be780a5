# One rank of bench/distributed/allreduce.ts's Python side: the same all-reduce loop.
import json, sys, time
from datetime import timedelta
import torch, torch.distributed as dist

mb, iters = float(sys.argv[1]), int(sys.argv[2])
dist.init_process_group('gloo', timeout=timedelta(seconds=120))
t = torch.ones(round(mb * 1e6 / 4))
for _ in range(3): dist.all_reduce(t)
dist.barrier()
start = time.perf_counter()
for _ in range(iters): dist.all_reduce(t)
ms = (time.perf_counter() - start) * 1e3 / iters
if dist.get_rank() == 0: print(json.dumps({'ms': ms}))
dist.destroy_process_group()
