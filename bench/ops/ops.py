"""The PyTorch side of `npm run bench:ops`.

usage: python ops.py --threads N --serve              (driven by run.ts over stdin/stdout)
       python ops.py --threads N --repeats R name=iters ...   (stand-alone)

Runs the same ops as bench/ops/torchtrain-side.ts and floor.cpp. A pass is `iters` iterations
of one op, timed as a whole and reported in microseconds per iteration, as JSON. Stand-alone it
does one warm-up pass and R timed passes per op and prints one JSON object; progress goes to
stderr.

Each op has its own explicit loop rather than a shared helper taking a lambda: a Python call
per iteration costs ~50 ns, which is PyTorch's binding overhead only if users write it, and
they don't. Results are dropped at once, so the refcount frees them as a training loop would.
"""
import json
import os
import sys
import time
import warnings

# torch warns at import when numpy is absent; that has nothing to do with these ops.
warnings.filterwarnings("ignore", message=".*NumPy.*")
import torch  # noqa: E402

CHAIN_LENGTH = 100  # same constant as spec.ts and floor.cpp


def log(msg):
    print(f"[pytorch] {msg}", file=sys.stderr, flush=True)


def loop_add(a, b, n):
    for _ in range(n):
        a.add(b)


def loop_mul(a, b, n):
    for _ in range(n):
        a.mul(b)


def loop_relu(a, _b, n):
    for _ in range(n):
        a.relu()


def loop_sum(a, _b, n):
    for _ in range(n):
        a.sum()


def loop_matmul(a, b, n):
    for _ in range(n):
        a.matmul(b)


def loop_chain(a, b, n):
    for _ in range(n):
        y = a
        for k in range(CHAIN_LENGTH):
            y = y.add(b) if k & 1 else y.mul(b)


def loop_mlp(state, _unused, n):
    x, params = state
    w1, b1, w2, b2, w3, b3 = params
    for _ in range(n):
        h1 = x.matmul(w1).add(b1).relu()
        h2 = h1.matmul(w2).add(b2).relu()
        out = h2.matmul(w3).add(b3)
        out.square().mean().backward()
        # zero_grad(set_to_none=True), as the torchtrain side sets grad = null
        for p in params:
            p.grad = None


def param(shape, scale):
    return torch.randn(shape).mul(scale).requires_grad_()


def one_pass(loop, a, b, n):
    t0 = time.perf_counter_ns()
    loop(a, b, n)
    return (time.perf_counter_ns() - t0) / 1000 / n


def main(argv):
    threads, repeats, ops, serve = None, 11, [], False
    i = 0
    while i < len(argv):
        if argv[i] == "--threads":
            threads = int(argv[i + 1])
            i += 2
        elif argv[i] == "--repeats":
            repeats = int(argv[i + 1])
            i += 2
        elif argv[i] == "--serve":
            serve = True
            i += 1
        else:
            name, iters = argv[i].split("=")
            ops.append((name, int(iters)))
            i += 1
    if threads is not None:
        torch.set_num_threads(threads)
    torch.manual_seed(0)

    a, b = torch.ones(1), torch.ones(1)
    ma, mb = torch.randn(64, 64), torch.randn(64, 64)
    x = torch.randn(32, 784)
    params = [param([784, 256], 0.05), param([256], 0.05), param([256, 128], 0.05),
              param([128], 0.05), param([128, 10], 0.05), param([10], 0.05)]
    table = {
        "add": (loop_add, a, b),
        "mul": (loop_mul, a, b),
        "relu": (loop_relu, a, b),
        "sum": (loop_sum, a, b),
        "matmul64": (loop_matmul, ma, mb),
        "chain100": (loop_chain, a, b),
        "mlp": (loop_mlp, (x, params), None),
    }

    def run(name, n):
        if name not in table:
            raise SystemExit(f"ops.py: unknown op {name}")
        loop, arg0, arg1 = table[name]
        return one_pass(loop, arg0, arg1, n)

    hello = {
        "side": "pytorch",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "libDir": os.path.join(os.path.dirname(torch.__file__), "lib"),
    }
    if serve:
        # Interleaved mode (what run.ts uses): one JSON line of facts, then one timed pass per
        # "name iters" line on stdin, answered with one JSON line, until stdin closes.
        print(json.dumps(hello), flush=True)
        for line in sys.stdin:
            name, n = line.split()
            print(json.dumps({"op": name, "us": run(name, int(n))}), flush=True)
        return

    # Stand-alone mode: one warm-up pass, then `repeats` timed passes per op, one JSON object.
    samples = {}
    for name, n in ops:
        log(f"{name}: {n} iters x (1 warm-up + {repeats} timed)")
        run(name, n)
        samples[name] = [run(name, n) for _ in range(repeats)]
    print(json.dumps({**hello, "samples": samples}))


if __name__ == "__main__":
    main(sys.argv[1:])
