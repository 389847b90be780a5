# The Python side of the parity tests: reads one JSON request per line, runs its code with the
# given tensors bound to names (and torch, F), and answers with the value the code left in `out`.
# Tensors travel as raw little-endian bytes in base64, with torchtrain's dtype names.
import base64
import json
import sys
import traceback
import warnings

warnings.filterwarnings("ignore")
import torch  # noqa: E402

DTYPES = {
    "float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16,
    "int64": torch.int64, "int32": torch.int32, "int16": torch.int16, "int8": torch.int8,
    "uint8": torch.uint8, "bool": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
# float16/bfloat16 travel widened to float32 (as torchtrain's data() gives them), bool as bytes
WIRE = {"float16": torch.float32, "bfloat16": torch.float32, "bool": torch.uint8}


def decode(obj):
    if isinstance(obj, dict) and obj.get("__tensor__"):
        name = obj["dtype"]
        wire = WIRE.get(name, DTYPES[name])
        raw = bytearray(base64.b64decode(obj["data"]))
        if len(raw) == 0:
            t = torch.empty(obj["shape"], dtype=wire)
        else:
            t = torch.frombuffer(raw, dtype=wire).reshape(obj["shape"]).clone()
        t = t.to(DTYPES[name])
        if obj.get("requires_grad"):
            t.requires_grad_(True)
        return t
    if isinstance(obj, list):
        return [decode(x) for x in obj]
    if isinstance(obj, dict):
        return {k: decode(v) for k, v in obj.items()}
    return obj


def encode(value):
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        name = NAMES[t.dtype]
        wire = WIRE.get(name, t.dtype)
        t = t.to(wire).contiguous()
        data = bytes(t.reshape(-1).view(torch.uint8).tolist())
        return {"__tensor__": True, "dtype": name, "shape": list(t.shape), "data": base64.b64encode(data).decode()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, float) and value != value:
        return {"__nan__": True}
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return {"__inf__": 1 if value > 0 else -1}
    return value


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            if "threads" in req:
                torch.set_num_threads(req["threads"])
            ns = {"torch": torch, "F": torch.nn.functional, "nn": torch.nn}
            ns.update(decode(req.get("inputs", {})))
            exec(req["code"], ns)
            resp = {"id": req["id"], "out": encode(ns.get("out"))}
        except Exception:
            resp = {"id": req["id"], "error": traceback.format_exc()}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    print(json.dumps({"ready": True, "version": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    main()
