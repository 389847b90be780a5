// The validation confusion matrix reaches the hooks (TrainerView.confusionMatrix) and from there
// the HtmlDashboard page, in a real fit() with a classification TaskSpec; a matrix the options
// give wins over the Trainer's. (The page's drawing of it is checked in Chromium by
// test/dashboard; here the page's embedded data is read back.)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, engine, nn, torch } from '../../lib/index.js';
import { DefaultHooks, type TrainerView } from '../../lib/engine/hooks.js';
import { HtmlDashboard } from '../../lib/loggers/html-dashboard.js';
import { TaskSpecs } from '../../lib/task/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'torchtrain-cm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const task = TaskSpecs.sequenceClassification({ numClasses: 3, fields: { inputs: 'x' }, metrics: ['loss', 'accuracy'] });

function batches(n: number, seed: number): { x: Tensor; labels: Tensor }[] {
  torch.manualSeed(seed);
  return torch.keep(torch.scope(() => Array.from({ length: n }, () => ({ x: torch.randn([8, 4]), labels: torch.randint(0, 3, [8]) }))));
}

function pageData(file: string): { confusionMatrix: { matrix: number[][]; labels: string[]; step: number } | null } {
  const html = readFileSync(file, 'utf8');
  const json = html.match(/<script type="application\/json" id="dashboard-data">([\s\S]*?)<\/script>/)![1]!;
  return JSON.parse(json);
}

describe('the validation confusion matrix for hooks and the dashboard', () => {
  it('is on TrainerView at onValidationEnd and on the dashboard page', async () => {
    const train = batches(4, 0), val = batches(3, 1);
    const seen: (TrainerView['confusionMatrix'])[] = [];
    const spy = new (class extends DefaultHooks {
      override onValidationEnd(t: TrainerView) { seen.push(t.confusionMatrix); }
    })();
    const file = path.join(dir, 'run.html');
    torch.manualSeed(2);
    const trainer = new engine.Trainer({ model: new nn.Linear(4, 3), task, train, val, callbacks: [spy, new HtmlDashboard({ path: file, info: false, minIntervalMs: 0 })], config: { maxEpochs: 1 } });
    try {
      expect(trainer.core.view.confusionMatrix).toBeNull();
      await trainer.fit();
      expect(seen).toHaveLength(1);
      const cm = seen[0]!;
      expect(cm.matrix).toEqual(trainer.confusionMatrix());
      expect(cm.labels).toEqual(['0', '1', '2']);
      expect(cm.step).toBe(4);
      expect(cm.matrix.flat().reduce((a, b) => a + b, 0)).toBe(24);
      expect(pageData(file).confusionMatrix).toEqual(cm);
    } finally {
      torch.dispose([train, val]);
    }
  });

  it('a matrix given in the dashboard options wins over the Trainer\'s', async () => {
    const train = batches(2, 3), val = batches(1, 4);
    const file = path.join(dir, 'given.html');
    const given = { matrix: [[1, 0], [0, 1]], labels: ['cat', 'dog'], step: 0 };
    torch.manualSeed(2);
    const trainer = new engine.Trainer({ model: new nn.Linear(4, 3), task, train, val, callbacks: [new HtmlDashboard({ path: file, info: false, minIntervalMs: 0, confusionMatrix: given })], config: { maxEpochs: 1 } });
    try {
      await trainer.fit();
      expect(trainer.confusionMatrix()).not.toBeNull();
      expect(pageData(file).confusionMatrix).toEqual(given);
    } finally {
      torch.dispose([train, val]);
    }
  });
});
