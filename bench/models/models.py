# The PyTorch side of bench:models: the same architectures as torchtrain's model zoo (same
# parameter names), loaded with torchtrain's initial weights and inputs (safetensors files),
# timed over one forward + loss + backward step. Prints the losses (to prove the sides compute
# the same thing) and median milliseconds per step as JSON.
import json, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
from safetensors.torch import load_file

args = json.loads(sys.argv[1])
torch.set_num_threads(args["threads"])


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
        self.dropout = nn.Dropout(0.0)

    def forward(self, x, mask):
        h = self.ln_1(x)
        y = x + self.dropout(self.attn(h, h, h, attn_mask=mask, need_weights=False, is_causal=True)[0])
        return y + self.dropout(self.mlp_proj(F.gelu(self.mlp_fc(self.ln_2(y)))))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c["vocabSize"], c["nEmbd"]), wpe=nn.Embedding(c["blockSize"], c["nEmbd"]), drop=nn.Dropout(0.0),
            h=nn.ModuleList([Block(c["nEmbd"], c["nHead"]) for _ in range(c["nLayer"])]), ln_f=nn.LayerNorm(c["nEmbd"])))
        self.lm_head = nn.Linear(c["nEmbd"], c["vocabSize"], bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def forward(self, idx):
        t = idx.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(t)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(torch.arange(t)))
        for block in self.transformer.h:
            x = block(x, mask)
        return self.lm_head(self.transformer.ln_f(x))


def build(name):
    return {"mlp": MLP, "lenet": LeNet, "gpt": lambda: GPT(args["gpt"])}[name]()


out = {}
for name in args["models"]:
    model = build(name)
    model.load_state_dict(load_file(f'{args["dir"]}/{name}.safetensors'), strict=True)
    data = load_file(f'{args["dir"]}/{name}-data.safetensors')
    x, y = data["x"], data["y"]

    def step():
        for p in model.parameters():
            p.grad = None
        logits = model(x)
        loss = F.cross_entropy(logits.flatten(0, -2), y.flatten())
        loss.backward()
        return loss

    loss = step().item()
    for _ in range(args["warmup"]):
        step()
    times = []
    for _ in range(args["repeats"]):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    out[name] = {"ms": times[len(times) // 2], "loss": loss}
print(json.dumps(out))
