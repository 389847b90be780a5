# The PyTorch side of bench:contention: nanoGPT's model arithmetic (block 64, 4 layers x 128,
# batch 12), AdamW, per-step milliseconds as JSON. Threads and OpenMP settings as the parent says.
import json, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

a = json.loads(sys.argv[1])
if a["threads"] is not None:
    torch.set_num_threads(a["threads"])
torch.manual_seed(0)
V, T, L, H, C, B = 65, 64, 4, 4, 128, 12


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.c_attn, self.c_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.proj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x):
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.c_proj(y)
        return x + self.proj(F.gelu(self.fc(self.ln_2(x))))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        self.h = nn.ModuleList([Block() for _ in range(L)])
        self.ln_f = nn.LayerNorm(C)
        self.lm_head = nn.Linear(C, V, bias=False)
        self.wte.weight = self.lm_head.weight

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.h:
            x = b(x)
        return self.lm_head(self.ln_f(x))


model = GPT()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
x, y = torch.randint(0, V, (B, T)), torch.randint(0, V, (B, T))
ms = []
for i in range(a["warmup"] + a["steps"]):
    t = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(model(x).flatten(0, 1), y.flatten()).backward()
    opt.step()
    if i >= a["warmup"]:
        ms.append((time.perf_counter() - t) * 1e3)
print(json.dumps({"ms": ms, "threads": torch.get_num_threads()}))
