// The manifest's sizes and SHA-256 are taken from the bytes as they are written (not by reading
// the files back): pin that they are the files' real sizes and hashes, read back independently,
// for writes on the training thread and on the background writer.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpoint, nn, optim, torch } from '../../lib/index.js';

describe('checkpoint manifest', () => {
  it.each([false, true])('lists each file with its size and SHA-256 on disk (writeInBackground %s)', async (writeInBackground) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-manifest-'));
    try {
      torch.manualSeed(0);
      const model = new nn.Sequential(new nn.Linear(64, 64), new nn.Linear(64, 3));
      const optimizer = new optim.AdamW(model.parameters(), { lr: 1e-3 });
      torch.scope(() => {
        (model.forward(torch.randn([2, 64])) as ReturnType<typeof torch.randn>).sum().backward();
        optimizer.step();
      });
      const manager = new checkpoint.CheckpointManager({ dir, writeInBackground });
      const folder = await manager.save({ model, optimizer, scheduler: null, scaler: null }, { state: { step: 3, epoch: 0 }, callbacks: {}, config: {}, task: {}, logs: {} });
      manager.flush();
      const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as { files: Record<string, { size: number; sha256: string }> };
      const names = fs.readdirSync(folder).filter((n) => n !== 'manifest.json').sort();
      expect(Object.keys(manifest.files)).toEqual(names);
      for (const name of names) {
        const bytes = fs.readFileSync(path.join(folder, name));
        expect(manifest.files[name]).toEqual({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
      }
      expect(checkpoint.list(dir).map((c) => [c.step, c.valid])).toEqual([[3, true]]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
