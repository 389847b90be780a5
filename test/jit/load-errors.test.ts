// Files that are not TorchScript give an error naming the file and saying what it is, and the
// process lives on: a missing path, a folder, text, torch.save() files (zip and legacy pickle),
// truncated and corrupted archives; writing where no folder is; bad arguments.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TorchError, jit, torch } from '../../lib/index.js';
import { TorchPython } from '../helpers/python.js';
import { exportModel, tempDir } from './python-models.js';

const py = await TorchPython.start();
const tmp = tempDir();
afterAll(() => {
  py?.close();
  tmp.remove();
});

function loadError(file: string): Error {
  try {
    jit.load(file).dispose();
  } catch (err) {
    return err as Error;
  }
  throw new Error(`jit.load('${file}') did not fail`);
}

describe('jit.load refuses what is not TorchScript', () => {
  it('a missing file, a folder, an empty file and a text file', () => {
    const missing = path.join(tmp.dir, 'nope.pt');
    expect(loadError(missing).message).toBe(`jit.load: no such file '${missing}'`);
    expect((loadError(missing) as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(loadError(tmp.dir).message).toMatch(/is a directory, not a TorchScript file/);
    const empty = path.join(tmp.dir, 'empty.pt');
    writeFileSync(empty, '');
    expect(loadError(empty).message).toMatch(/empty\.pt' is an empty file; export the model from Python with torch\.jit\.script/);
    const text = path.join(tmp.dir, 'model.txt');
    writeFileSync(text, 'def forward(self, x):\n    return x\n');
    expect(loadError(text).message).toMatch(/model\.txt' is not a TorchScript archive \(those are zip files\)/);
  });

  it('bad arguments are TypeErrors', () => {
    expect(() => jit.load(42 as never)).toThrow(TypeError);
    expect(() => jit.load('')).toThrow(/path must be a non-empty string/);
    expect(() => jit.load('x.pt', { device: 'gpu' })).toThrow(/not a device/);
  });
});

describe.skipIf(!py)('jit.load on damaged or foreign archives', () => {
  it('torch.save files, in the zip and the legacy format', async () => {
    const zip = path.join(tmp.dir, 'state.pt'), legacy = path.join(tmp.dir, 'legacy.pt');
    await py!.run(`sd = torch.nn.Linear(2, 2).state_dict()
torch.save(sd, zip)
torch.save(sd, legacy, _use_new_zipfile_serialization=False)`, { zip, legacy });
    const err = loadError(zip);
    expect(err).toBeInstanceOf(TorchError);
    expect(err.message).toContain(`'${zip}' could not be loaded as a TorchScript module`);
    expect(err.message).toMatch(/looks like a torch\.save\(\) file/);
    expect(loadError(legacy).message).toMatch(/legacy\.pt' is a pickle \(torch\.save's legacy format\), not a TorchScript archive/);
  });

  it('truncated and corrupted archives, and the process lives on', async () => {
    const good = await exportModel(py!, tmp.dir, 'MLP');
    const bytes = readFileSync(good);
    const truncated = path.join(tmp.dir, 'truncated.pt');
    writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));
    expect(loadError(truncated).message).toMatch(/truncated\.pt' could not be loaded as a TorchScript module: .*zip archive/);
    // Damage every part of the archive in turn (code, pickles, tensor data, zip records): each
    // load either fails with an error naming the file or gives a module (raw tensor bytes carry
    // no checksum in the format); nothing crashes.
    const damaged = path.join(tmp.dir, 'damaged.pt');
    let failed = 0;
    for (let k = 0; k < 60; k++) {
      const copy = Buffer.from(bytes);
      const at = Math.floor((k / 60) * copy.length);
      for (let i = at; i < Math.min(copy.length, at + 16); i++) copy[i] ^= 0xa5;
      writeFileSync(damaged, copy);
      try {
        jit.load(damaged).dispose();
      } catch (err) {
        failed++;
        expect((err as Error).message).toContain('damaged.pt');
      }
    }
    expect(failed).toBeGreaterThan(10);
    expect(torch.ones([2]).add(1).sum().item()).toBe(4);
  });

  it('saving where no folder is names the path', async () => {
    const m = jit.load(await exportModel(py!, tmp.dir, 'MLP'));
    const nowhere = path.join(tmp.dir, 'no', 'such', 'dir', 'm.pt');
    expect(() => m.save(nowhere)).toThrow(new RegExp(`could not write '${nowhere.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`));
    m.dispose();
  });
});
