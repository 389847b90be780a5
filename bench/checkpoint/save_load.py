# The PyTorch side of bench:checkpoint: the same MLP shapes with AdamW state after one step,
# saved as one torch.save file ({"model": state_dict, "optimizer": state_dict}) and loaded back
# with torch.load (weights_only, the default). Prints median seconds as JSON on the last line.
import json, os, statistics, sys, time
import torch

args = json.loads(sys.argv[1])
torch.set_num_threads(args["threads"])
out = {}
for spec in args["models"]:
    torch.manual_seed(0)
    layers = []
    for i in range(spec["layers"]):
        layers.append(torch.nn.Linear(spec["width"], spec["width"]))
        if i < spec["layers"] - 1:
            layers.append(torch.nn.Tanh())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(8, spec["width"])
    torch.nn.functional.mse_loss(model(x), torch.zeros(8, spec["width"])).backward()
    opt.step()
    state = {"model": model.state_dict(), "optimizer": opt.state_dict()}
    file = os.path.join(args["dir"], f'{spec["name"]}-torch.pt')
    save, save_fsync, load = [], [], []
    for _ in range(args["repeats"]):
        t = time.perf_counter()
        torch.save(state, file)
        save.append(time.perf_counter() - t)
        t = time.perf_counter()
        with open(file, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        save_fsync.append(time.perf_counter() - t)
        t = time.perf_counter()
        loaded = torch.load(file)
        load.append(time.perf_counter() - t)
        del loaded
    os.remove(file)
    out[spec["name"]] = {"save": statistics.median(save), "saveFsync": statistics.median(save_fsync), "load": statistics.median(load),
                         "bytes": sum(t.numel() * t.element_size() for t in model.state_dict().values()) * 3}
    print(f'[bench:checkpoint] PyTorch {spec["name"]}: save {out[spec["name"]]["save"]:.2f} s, load {out[spec["name"]]["load"]:.2f} s', file=sys.stderr)
print(json.dumps(out))
