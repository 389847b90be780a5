// HtmlDashboard on a real run: a small 3-class classifier trained by the Trainer for 3 epochs;
// the page, opened in headless Chromium, holds one point per logging step (every
// logEveryNSteps steps and each epoch's end), one validation point per epoch, the confusion
// matrix a callback computed after each validation, and torch.info().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, engine, nn, torch } from '../../lib/index.js';
import { HtmlDashboard } from '../../lib/loggers/html-dashboard.js';
import { seededRandom } from '../helpers/synthetic-data.js';
import { chromiumPath, launch, openDashboard } from './browser.js';

const dir = mkdtempSync(path.join(tmpdir(), 'torchtrain-dashboard-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Three noisy blobs in 2-D, in batches of 16. */
function blobs(batches: number, seed: number): { x: Tensor; labels: Tensor }[] {
  const rand = seededRandom(seed);
  const centres = [[0, 1.2], [-1, -0.6], [1, -0.6]];
  return torch.keep(Array.from({ length: batches }, () => {
    const labels = Array.from({ length: 16 }, () => Math.floor(rand() * 3));
    const x = labels.map((c) => centres[c].map((m) => m + (rand() - 0.5) * 1.6));
    return { x: torch.tensor(x), labels: torch.tensor(labels, { dtype: 'int64' }) };
  }));
}

describe.skipIf(!chromiumPath)('HtmlDashboard on a real Trainer run', () => {
  it('shows every logging step, every validation, the confusion matrix and the environment', async () => {
    torch.manualSeed(0);
    const train = blobs(30, 1), val = blobs(4, 2);
    const model = new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Linear(16, 3));
    const task = { type: 'seq_classification' as const, numClasses: 3, fields: { inputs: 'x', labels: 'labels' }, metrics: ['loss', 'accuracy'] };
    const config = { maxEpochs: 3, logEveryNSteps: 4, maxGradNorm: 1, device: 'cpu', optimizer: { name: 'adamw' as const, lr: 3e-2 } };
    const file = path.join(dir, 'run', 'dashboard.html');
    const dashboard = new HtmlDashboard({ path: file, title: 'blobs: 3-class classifier', config, task, minIntervalMs: 0 });
    // What the metrics tracker will hand over: the validation set's confusion matrix.
    const matrix = new (class extends engine.DefaultHooks {
      override onValidationEnd(t: { step: number }): void {
        const counts = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
        torch.noGrad(() => torch.scope(() => {
          for (const b of val) {
            const predicted = (model.forward(b.x) as Tensor).argmax(1).tolist() as number[];
            const truth = b.labels.tolist() as number[];
            truth.forEach((c, i) => counts[c][predicted[i]]++);
          }
        }));
        dashboard.setConfusionMatrix({ matrix: counts, labels: ['north', 'south-west', 'south-east'], step: t.step });
      }
    })();
    const trainer = new engine.Trainer({ model, task, config, train, val, callbacks: [matrix, dashboard] });
    await trainer.fit();
    torch.dispose([train, val]);

    const steps = Array.from({ length: 90 }, (_, i) => i + 1).filter((s) => s % 4 === 0 || s % 30 === 0);
    const state = dashboard.stateDict() as { train: { step: number; values: Record<string, number> }[]; validation: { step: number }[] };
    expect(state.train.map((p) => p.step)).toEqual(steps);
    expect(state.validation.map((p) => p.step)).toEqual([30, 60, 90]);
    expect(Object.keys(state.train[0].values)).toEqual(expect.arrayContaining(['train/grad_norm', 'train/loss', 'train/lr', 'train/throughput']));

    const browser = await launch();
    try {
      const page = await openDashboard(browser, file, 'trainer-run.png', { topHeight: 900 });
      expect(page.errors).toEqual([]);
      expect(page.requests).toEqual([]);
      const s = page.summary;
      expect(s.status).toBe('finished');
      expect(s.step).toBe(90);
      // The pinned tags' plots, first and in this order (the metrics tracker may log more).
      const plot = (name: string) => s.plots.find((p) => p.name === name)?.series;
      expect(s.plots.slice(0, 4).map((p) => p.name)).toEqual(['loss', 'lr', 'grad_norm', 'throughput']);
      expect(plot('loss')).toEqual([{ label: 'train', points: steps.length }, { label: 'validation', points: 3 }]);
      expect(plot('lr')?.map((x) => x.points)).toEqual([steps.length]);
      expect(plot('grad_norm')).toEqual([{ label: 'train', points: steps.length }]);
      expect(plot('throughput')?.[0]).toEqual({ label: 'items/s', points: steps.length });
      expect(plot('accuracy')).toEqual([{ label: 'validation', points: 3 }]);
      for (const p of s.plots) {
        expect(page.canvases[p.name], p.name).toBe(1);
        for (const series of p.series) expect([steps.length, 3], `${p.name} ${series.label}`).toContain(series.points);
      }
      expect(s.confusionMatrix).toEqual({ classes: 3, cells: 9 });
      expect(s.sections).toEqual(['Training curves', 'Confusion matrix', 'Epochs', 'Data profiles and drift', 'Run']);
      // the Trainer's own data profiles (config.profileData, on by default): train and val, their drift, the bins plot
      expect(s.profiles).toMatchObject({ splits: 2, driftRows: trainer.dataProfiles!.drift!.features.length });
      expect(s.profiles!.histogram?.canvas).toBe(true);
    } finally {
      await browser.close();
    }
    // the environment section: torch.info() and the model's device
    const html = dashboard.render();
    expect(html).toContain(`"libtorchVersion":"${torch.info().libtorchVersion}"`);
    expect(html).toContain('"device":"cpu"');
  });
});
