// Exports the models of script_models.py as TorchScript files through the reference Python,
// into one temporary folder per test file (removed when the file's tests end).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Tensor, torch } from '../../lib/index.js';
import type { PyTensor, TorchPython } from '../helpers/python.js';

const MODELS_DIR = path.dirname(fileURLToPath(import.meta.url));

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'torchtrain-jit-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Scripts script_models.<name> after torch.manual_seed(seed) and saves it into dir. */
export async function exportModel(py: TorchPython, dir: string, name: string, seed = 0): Promise<string> {
  const file = path.join(dir, `${name}-${seed}.pt`);
  await py.run(
    'import sys\nif models_dir not in sys.path: sys.path.insert(0, models_dir)\nimport script_models\nscript_models.export(name, file, seed)',
    { models_dir: MODELS_DIR, name, file, seed },
  );
  return file;
}

/** A Python result as a Tensor of ours, for comparisons. */
export function fromPy(t: PyTensor): Tensor {
  return torch.tensor(t.data as Float32Array, { shape: t.shape, dtype: t.dtype });
}

