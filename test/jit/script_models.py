# Models the TorchScript tests export from Python. torch.jit.script reads a class's source with
# inspect, so they live in a file rather than in the snippets the tests send to Python.
from typing import Dict, List, Optional, Tuple

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1))

    def forward(self, x):
        return self.net(x)


class Containers(nn.Module):
    """Takes a list and a dict of tensors plus a float and an int; returns a tuple."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(3, 2)

    def forward(self, xs: List[torch.Tensor], named: Dict[str, torch.Tensor], scale: float, shift: int) -> Tuple[torch.Tensor, List[torch.Tensor], Dict[str, torch.Tensor]]:
        total = self.proj(xs[0])
        for i in range(1, len(xs)):
            total = total + self.proj(xs[i])
        scaled: Dict[str, torch.Tensor] = {}
        for key, value in named.items():
            scaled[key] = value * scale + shift
        return total * scale, [x + shift for x in xs], scaled

    @torch.jit.export
    def kinds(self, n: int, x: float, flag: bool, name: str, maybe: Optional[torch.Tensor] = None, ks: Optional[List[int]] = None, times: int = 2) -> Tuple[int, float, bool, str, bool, int]:
        total = 0
        if ks is not None:
            total = sum(ks)
        repeated = ""
        for _ in range(times):
            repeated += name
        return n // 2, x / 2, not flag, repeated, maybe is None, total

    @torch.jit.export
    def counts(self, named: Dict[str, int]) -> Dict[str, float]:
        out: Dict[str, float] = {}
        for key, value in named.items():
            out[key] = value / 4
        return out


class BatchNormDropout(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(6, 6)
        self.bn = nn.BatchNorm1d(6)
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        return self.head(self.drop(torch.relu(self.bn(self.lin(x)))))


class Tied(nn.Module):
    """An embedding and an output layer sharing one weight."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.head = nn.Linear(4, 10, bias=False)
        self.head.weight = self.emb.weight

    def forward(self, ids):
        return self.head(self.emb(ids))


class Awkward(nn.Module):
    """Attribute names that are ScriptModule members in torchtrain, and a non-persistent buffer."""

    def __init__(self):
        super().__init__()
        self.path = nn.Linear(2, 2)
        self.dispose = nn.Parameter(torch.ones(2))
        self.register_buffer("scale", torch.tensor([2.0, 3.0]), persistent=False)

    def forward(self, x):
        return self.path(x) * self.scale + self.dispose


def export(name: str, path: str, seed: int = 0) -> None:
    torch.manual_seed(seed)
    torch.jit.script(globals()[name]()).save(path)


def truncate_record(src: str, dst: str, keep: int = 0) -> str:
    """Copies the archive src to dst with its first tensor data record cut to `keep` bytes.

    The zip is rewritten properly (headers, sizes, CRCs and the central directory all agree), so
    only the tensor bytes are missing. Returns the record's name.
    """
    import re
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w', zipfile.ZIP_STORED) as zout:
        names = zin.namelist()
        victim = next(n for n in names if re.search(r'/data/\d+$', n))
        for name in names:
            data = zin.read(name)
            zout.writestr(zin.getinfo(name), data[:keep] if name == victim else data)
    return victim
