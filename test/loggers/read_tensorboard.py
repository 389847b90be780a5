"""Reads a TensorBoard log dir with two independent readers and prints what each saw as JSON.

  tensorboard: EventAccumulator (what TensorBoard's own backend uses), everything kept
               (size_guidance 0), plus EventFileLoader's raw event count per file;
  tbparse:     SummaryReader's DataFrames.
Usage: python read_tensorboard.py <dir>
"""
import json
import math
import os
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from tensorboard.backend.event_processing import event_accumulator as ea  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402
from tbparse import SummaryReader  # noqa: E402

logdir = sys.argv[1]


def num(v):
    v = float(v)
    return None if math.isnan(v) else v


def read_tensorboard():
    acc = ea.EventAccumulator(logdir, size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.TENSORS: 0, ea.COMPRESSED_HISTOGRAMS: 0})
    acc.Reload()
    tags = acc.Tags()
    out = {"scalars": {}, "histograms": {}, "text": {}, "hparams": None, "status": None, "events_per_file": {}}
    for tag in tags["scalars"]:
        out["scalars"][tag] = [[e.step, num(e.value)] for e in acc.Scalars(tag)]
    for tag in tags["histograms"]:
        out["histograms"][tag] = [[e.step, e.histogram_value.num, list(e.histogram_value.bucket)] for e in acc.Histograms(tag)]
    for tag in tags["tensors"]:
        if tag.startswith("_hparams_/"):
            continue
        out["text"][tag] = [[e.step, e.tensor_proto.string_val[0].decode("utf8")] for e in acc.Tensors(tag)]
    content = acc.PluginTagToContent("hparams")
    if "_hparams_/session_start_info" in content:
        data = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
        out["hparams"] = {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind")) for k, v in data.session_start_info.hparams.items()}
    if "_hparams_/session_end_info" in content:
        out["status"] = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_end_info"]).session_end_info.status
    for name in sorted(os.listdir(logdir)):
        if "tfevents" in name:
            out["events_per_file"][name] = sum(1 for _ in EventFileLoader(os.path.join(logdir, name)).Load())
    return out


def read_tbparse():
    reader = SummaryReader(logdir, pivot=False)
    out = {"scalars": {}, "histograms": {}, "text": {}, "hparams": {}}
    for row in reader.scalars.itertuples():
        out["scalars"].setdefault(row.tag, []).append([int(row.step), num(row.value)])
    hist = reader.histograms
    for row in hist.itertuples():
        out["histograms"].setdefault(row.tag, []).append([int(row.step), float(sum(row.counts))])
    for row in reader.text.itertuples():
        out["text"].setdefault(row.tag, []).append([int(row.step), row.value])
    for row in reader.hparams.itertuples():
        value = row.value
        out["hparams"][row.tag] = value.item() if hasattr(value, "item") else value
    return out


print(json.dumps({"tensorboard": read_tensorboard(), "tbparse": read_tbparse()}))
