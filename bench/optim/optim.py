# The PyTorch side of bench:optim: AdamW.step() time on the given parameter shapes, with the
# foreach implementation (the one torchtrain's target names) and the single-tensor default.
import json, sys, time, torch

args = json.loads(sys.argv[1])
torch.set_num_threads(args["threads"])
torch.manual_seed(0)
params = [torch.randn(s, requires_grad=True) for s in args["shapes"]]
for p in params:
    p.grad = torch.randn_like(p)
out = {}
for name, foreach in (("foreach", True), ("single", False)):
    opt = torch.optim.AdamW(params, lr=1e-3, foreach=foreach)
    for _ in range(args["warmup"]):
        opt.step()
    times = []
    for _ in range(args["repeats"]):
        t = time.perf_counter()
        opt.step()
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    out[name] = times[len(times) // 2]
print(json.dumps(out))
