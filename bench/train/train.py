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
    init = {k: v.clone() for k, v in model.state_dict().items()}

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

    # the median of `rounds` runs from the same initial weights, as on the torchtrain side
    rates = []
    for r in range(spec.get("rounds", 1)):
        print(f"[bench:train] PyTorch {name}: round {r + 1}/{spec.get('rounds', 1)}", file=sys.stderr, flush=True)
        model.load_state_dict(init)
        opt = torch.optim.AdamW(model.parameters(), lr=spec["lr"])
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=spec["lr"], total_steps=steps + spec["warmup"], pct_start=0.1)
        for i in range(spec["warmup"]):
            step(i)
        items = 0
        t = time.perf_counter()
        for i in range(steps):
            items += step(i)
        rates.append(items / (time.perf_counter() - t))
    rates.sort()
    mid = len(rates) // 2
    rate = rates[mid] if len(rates) % 2 else (rates[mid - 1] + rates[mid]) / 2
    out[name] = {"itemsPerSecond": rate, "runs": rates}
print(json.dumps(out))
