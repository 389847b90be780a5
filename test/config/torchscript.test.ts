// A run config naming a TorchScript file: a model scripted by Python's torch.jit.script is
// loaded, given the TorchScript adapter by the factory, and trained a few steps on IDX digits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { config, data, engine } from '../../lib/index.js';
import { parityRequired, referencePython } from '../helpers/python.js';

const python = referencePython();
const missing = !python ? 'no reference Python' : spawnSync(python, ['-c', 'import torch']).status !== 0 ? `${python} lacks torch` : null;
if (missing && parityRequired) throw new Error(`Python torch is required here: ${missing}`);
if (missing) console.warn(`\nTORCHSCRIPT RUN-CONFIG TEST NOT RUN: ${missing}\n`);

const SCRIPT = `
import sys, torch
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 5, stride=4)
        self.fc = torch.nn.Linear(4 * 6 * 6, 10)
    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))
torch.manual_seed(0)
torch.jit.script(Net()).save(sys.argv[1])
`;

describe.skipIf(missing !== null)('run config with a TorchScript model', () => {
  it('loads the scripted model, uses the TorchScript adapter and trains', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'torchtrain-config-jit-'));
    // torch.jit.script reads the class's source, so the script must be a file (not python -c).
    writeFileSync(path.join(dir, 'make_cnn.py'), SCRIPT);
    const made = spawnSync(python!, [path.join(dir, 'make_cnn.py'), path.join(dir, 'cnn.pt')], { encoding: 'utf8', env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    expect(made.status, made.stderr).toBe(0);
    data.writeIdx(path.join(dir, 'x.idx'), { shape: [8, 28, 28], data: Uint8Array.from({ length: 8 * 784 }, (_, k) => (k * 31) % 256) });
    data.writeIdx(path.join(dir, 'y.idx'), { shape: [8], data: Uint8Array.from({ length: 8 }, (_, i) => i) });
    const run = await config.buildRun(config.resolve({
      version: 2, model: { torchscript: 'cnn.pt' }, task: { type: 'image_classification', numClasses: 10 },
      data: { train: { idx: { images: 'x.idx', labels: 'y.idx' } }, batchSize: 4 },
      trainer: { maxSteps: 2, device: 'cpu', logEveryNSteps: 1 },
    }, { baseDir: dir }));
    expect(run.trainer.core.adapter).toBeInstanceOf(engine.TorchScriptAdapter);
    expect((await run.trainer.fit()).steps).toBe(2);
    expect(Number.isFinite(run.trainer.logs['train/loss'])).toBe(true);
  });
});
