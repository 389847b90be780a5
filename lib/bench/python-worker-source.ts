// The PyTorch side of `torchtrain bench`: one long-lived Python process (the reference Python,
// on the same libtorch) that sets up a workload from the files the TypeScript side wrote (initial
// weights and inputs as safetensors) and times rounds of it on request, one JSON line in, one
// out. Kept as a string so that it ships inside the npm package's dist/ (written to the bench's
// work folder at run time). `python worker.py memory '<json>'` is the fresh-process memory run.
export const PYTHON_WORKER_SOURCE = String.raw`
import json, os, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
from safetensors.torch import load_file


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.layers(x)


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool1(self.conv1(x).relu())
        x = self.pool2(self.conv2(x).relu()).flatten(1)
        return self.fc3(self.fc2(self.fc1(x).relu()).relu())


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, h, batch_first=True)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)

    def forward(self, x, mask):
        h = self.ln_1(x)
        y = x + self.attn(h, h, h, attn_mask=mask, need_weights=False, is_causal=True)[0]
        return y + self.mlp_proj(F.gelu(self.mlp_fc(self.ln_2(y))))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c["vocabSize"], c["nEmbd"]), wpe=nn.Embedding(c["blockSize"], c["nEmbd"]),
            h=nn.ModuleList([Block(c["nEmbd"], c["nHead"]) for _ in range(c["nLayer"])]), ln_f=nn.LayerNorm(c["nEmbd"])))
        self.lm_head = nn.Linear(c["nEmbd"], c["vocabSize"], bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def forward(self, idx):
        t = idx.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(t, device=idx.device)
        x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(t, device=idx.device))
        for block in self.transformer.h:
            x = block(x, mask)
        return self.lm_head(self.transformer.ln_f(x))


def build(name, gpt):
    return {"mlp": MLP, "lenet": LeNet, "gpt": lambda: GPT(gpt)}[name]()


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def autocast(device, precision):
    if device.startswith("cuda") and precision == "bf16-mixed":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def model_step(msg):
    device = msg["device"]
    model = build(msg["model"], msg.get("gpt")).to(device)
    model.load_state_dict(load_file(msg["weights"]), strict=True)
    data = load_file(msg["data"])
    x, y = data["x"].to(device), data["y"].to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    with torch.no_grad(), autocast(device, msg["precision"]):
        first = F.cross_entropy(model(x).flatten(0, -2).float(), y.flatten()).item()

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast(device, msg["precision"]):
            logits = model(x)
        F.cross_entropy(logits.flatten(0, -2).float(), y.flatten()).backward()
        opt.step()
    return step, {"loss": first}


def adamw_step(msg):
    torch.manual_seed(0)
    params = [torch.randn(s, requires_grad=True) for s in msg["shapes"]]
    for p in params:
        p.grad = torch.randn(p.shape)
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
    return opt.step, {}


def dataloader_epoch(msg):
    torch.manual_seed(0)
    n, f = msg["samples"], msg["features"]
    ds = torch.utils.data.TensorDataset(torch.randn(n, f), torch.randint(0, 10, (n,)))
    loader = torch.utils.data.DataLoader(ds, batch_size=msg["batchSize"], shuffle=True, drop_last=True)

    def epoch():
        for _ in loader:
            pass
    return epoch, {}


def checkpoint_roundtrip(msg):
    torch.manual_seed(0)
    w = msg["width"]
    model = nn.Sequential(*[nn.Linear(w, w) for _ in range(msg["layers"])])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(4, w)).sum().backward()
    opt.step()
    path = os.path.join(msg["dir"], "pytorch-checkpoint.pt")

    def plain():
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
        torch.load(path, weights_only=True)

    # What a crash-safe save does (as torchtrain's): a temporary file, fsynced, renamed over the
    # old one, the folder fsynced so that the rename lasts.
    def crash_safe():
        temp = path + ".tmp"
        with open(temp, "wb") as f:
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
        d = os.open(msg["dir"], os.O_RDONLY)
        try:
            os.fsync(d)
        finally:
            os.close(d)
        torch.load(path, weights_only=True)
    return (plain if msg.get("plain") else crash_safe), {}


def tiny_ops(msg):
    a, b = torch.rand(1), torch.rand(1)

    def chain():
        for _ in range(msg["ops"] // 2):
            a.add(b)
            a.mul(b)
    return chain, {}


SETUPS = {"tiny-ops": tiny_ops, "model-step": model_step, "adamw": adamw_step, "dataloader": dataloader_epoch, "checkpoint": checkpoint_roundtrip}


def rss_mb(key="VmHWM"):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_run(msg):
    start = rss_mb("VmRSS")
    torch.set_num_threads(msg["threads"])
    step, _ = model_step(msg)
    for _ in range(msg["steps"]):
        step()
    sync(msg["device"])
    print(json.dumps({"peakRssMB": rss_mb("VmHWM"), "startRssMB": start}), flush=True)


def serve():
    workloads = {}
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            op = msg["op"]
            if op == "init":
                torch.set_num_threads(msg["threads"])
                cuda = torch.cuda.is_available()
                reply = {"torch": torch.__version__, "threads": torch.get_num_threads(), "cuda": cuda,
                         "deviceName": torch.cuda.get_device_name() if cuda else None}
            elif op == "setup":
                step, info = SETUPS[msg["kind"]](msg)
                workloads[msg["id"]] = (step, msg.get("device", "cpu"))
                reply = info
            elif op == "round":
                step, device = workloads[msg["id"]]
                for _ in range(msg["warmup"]):
                    step()
                sync(device)
                times = []
                for _ in range(msg["steps"]):
                    t = time.perf_counter()
                    step()
                    sync(device)
                    times.append((time.perf_counter() - t) * 1e3)
                reply = {"times": times}
            elif op == "close":
                workloads.pop(msg["id"], None)
                reply = {}
            else:
                raise ValueError("unknown op " + str(op))
            print(json.dumps({"ok": True, **reply}), flush=True)
        except Exception as e:
            print(json.dumps({"ok": False, "error": type(e).__name__ + ": " + str(e)}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "memory":
        memory_run(json.loads(sys.argv[2]))
    else:
        serve()
`;
