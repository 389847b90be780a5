// A TorchScript archive whose tensor data record is empty or short loads in libtorch without
// complaint (a storage's size comes from the pickle, not from its record), and the first op on
// that tensor reads memory it does not own: sum, clone, printing and io.save segfaulted. jit.load
// compares each record with the bytes the pickles say it holds, and the native load checks every
// tensor of the module against its storage; either refuses such an archive, naming the file.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NativeScriptModule } from '../../lib/core/native-script-module.js';
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

function loadError(load: () => void): Error {
  try {
    load();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the load did not fail');
}

describe.skipIf(!py)('jit.load refuses tensors whose bytes are missing from the archive', () => {
  it('a 0-byte or short tensor record: an error naming the archive and the record', async () => {
    const good = await exportModel(py!, tmp.dir, 'MLP');
    for (const keep of [0, 4]) {
      const { file, record } = await truncated(good, keep);
      const error = loadError(() => {
        const m = jit.load(file);
        // Before the checks this read past the record's bytes (a segfault for the empty one).
        for (const p of m.parameters()) p.sum().item();
        m.dispose();
      });
      expect(error.message).toBe(`jit.load: '${file}' is damaged: its tensor record '${record}' holds ${keep} bytes where its storage needs 256 (the archive was cut short or corrupted); export the model from Python again`);
    }
    // The intact archive still loads, and the process lives on.
    const m = jit.load(good);
    expect(m.parameters().length).toBe(6);
    m.dispose();
    expect(torch.ones([3]).sum().item()).toBe(3);
  });

  it('the native load checks each tensor against its storage too (an empty record holds no bytes)', async () => {
    const { file } = await truncated(await exportModel(py!, tmp.dir, 'MLP'), 0);
    const error = loadError(() => NativeScriptModule.load(file).free());
    expect(error).toBeInstanceOf(TorchError);
    expect(error.message).toBe(`jitLoad: '${file}' holds a damaged tensor 'net.0.weight': its storage should hold 256 bytes but holds none (its data record in the archive is empty or missing); the archive is corrupt: export the model from Python again`);
  });
});
