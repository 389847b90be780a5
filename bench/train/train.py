# The PyTorch side of bench:train: a plain training loop (AdamW + OneCycleLR, cross-entropy,
# zero_grad / forward / backward / step) on the same models, initial weights and batches as
# torchtrain's, handed over as safetensors files. Prints items per second as JSON.
import json, sys, time
import torch, torch.nn.functional as F
from safetensors.torch import load_file

args = json.loads(sys.argv[1])
torch.set_num_threads(args["threads"])
# LeNet and GPT exactly as bench/models defines them (run in their own namespace)
models_ns = {}
saved_argv = sys.argv
sys.argv = [sys.argv[0], json.dumps({"threads": args["threads"]})]
exec(open(args["models_py"]).read().split("def build")[0], models_ns)
sys.argv = saved_argv
LeNet, GPT = models_ns["LeNet"], models_ns["GPT"]

out = {}
for spec in args["runs"]:
    name = spec["name"]
    model = LeNet() if name == "lenet" else GPT(spec["gpt"])
    model.load_state_dict(load_file(f'{args["dir"]}/{name}-init.safetensors'))
    data = load_file(f'{args["dir"]}/{name}-batches.safetensors')
    n = spec["batches"]
    xs = [data[f"x{i}"] for i in range(n)]
    ys = [data[f"y{i}"] for i in range(n)]
    causal = name == "gpt"
    steps = spec["steps"]
    opt = torch.optim.AdamW(model.parameters(), lr=spec["lr"])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=spec["lr"], total_steps=steps + spec["warmup"], pct_start=0.1)
    items = 0

    def step(i):
        x, y = xs[i % n], ys[i % n]
        opt.zero_grad()
        logits = model(x)
        if causal:
            loss = F.cross_entropy(logits[:, :-1].flatten(0, 1).float(), y[:, 1:].flatten())
            count = y[:, 1:].numel()
        else:
            loss = F.cross_entropy(logits, y)
            count = y.numel()
        loss.backward()
        opt.step()
        sched.step()
        return count

    for i in range(spec["warmup"]):
        step(i)
    t = time.perf_counter()
    for i in range(steps):
        items += step(i)
    seconds = time.perf_counter() - t
    out[name] = {"itemsPerSecond": items / seconds, "msPerStep": seconds / steps * 1e3}
print(json.dumps(out))
