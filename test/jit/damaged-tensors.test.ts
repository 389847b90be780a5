// A TorchScript archive whose tensor data record is empty or short loads in libtorch without
// complaint (a storage's size comes from the pickle, not from its record), and the first op on
// that tensor reads memory it does not own: sum, clone, printing and io.save segfaulted. jit.load
// checks every tensor of the module against its storage and refuses such an archive, naming it
// and the tensor.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TorchError, jit, torch } from '../../lib/index.js';
import { TorchPython } from '../helpers/python.js';
import { exportModel, tempDir } from './python-models.js';

const py = await TorchPython.start();
const tmp = tempDir();
const MODELS_DIR = path.dirname(new URL(import.meta.url).pathname);
afterAll(() => {
  py?.close();
  tmp.remove();
});

async function truncated(src: string, keep: number): Promise<{ file: string; record: string }> {
  const file = path.join(tmp.dir, `truncated-${keep}.pt`);
  const record = await py!.run<string>(
    'import sys\nif models_dir not in sys.path: sys.path.insert(0, models_dir)\nimport script_models\nout = script_models.truncate_record(src, dst, keep)',
    { models_dir: MODELS_DIR, src, dst: file, keep },
  );
  return { file, record };
}

describe.skipIf(!py)('jit.load refuses tensors whose bytes are missing from the archive', () => {
  it('a 0-byte tensor record: an error naming the archive and the tensor', async () => {
    const good = await exportModel(py!, tmp.dir, 'MLP');
    const { file } = await truncated(good, 0);
    let error: Error | undefined;
    try {
      const m = jit.load(file);
      // Before the check this segfaulted here.
      for (const p of m.parameters()) p.sum().item();
      m.dispose();
    } catch (err) {
      error = err as Error;
    }
    expect(error).toBeInstanceOf(TorchError);
    expect(error!.message).toContain(`'${file}' holds a damaged tensor 'net.`);
    expect(error!.message).toMatch(/its storage should hold \d+ bytes but holds none .*export the model from Python again/);
    // The intact archive still loads, and the process lives on.
    const m = jit.load(good);
    expect(m.parameters().length).toBe(6);
    m.dispose();
    expect(torch.ones([3]).sum().item()).toBe(3);
  });
});
