// HtmlDashboard driven through its hooks the way the training loop calls them (logs refreshed
// after a logging step's batch end and at epoch ends, validations every 10 steps and at epoch
// ends), then opened from file:// in real headless Chromium: no console errors, no requests,
// a canvas per plot with the right series and points, the confusion matrix and the profiles.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TrainerView } from '../../lib/engine/hooks.js';
import { HtmlDashboard } from '../../lib/loggers/html-dashboard.js';
import { compareProfiles, computeDatasetProfile } from '../../lib/metrics/index.js';
import { chromiumPath, inCI, launch, openDashboard } from './browser.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'torchtrain-dashboard-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A TrainerView with just what the dashboard reads. */
function fakeView() {
  const logs: Record<string, number> = {};
  const view = { step: 0, epoch: 0, logs, batchesPerEpoch: 23, state: {} as never, optimizer: {} as never, model: {}, requestStop() {} };
  return view as typeof view & TrainerView;
}

/**
 * 2 epochs of 23 steps, logEveryNSteps 5, evalEveryNSteps 10, validation at epoch ends: in the
 * order training-loop.ts calls things. Returns the steps that were logged and validated.
 */
function simulate(d: HtmlDashboard, opts: { epochs?: number; stepsPerEpoch?: number; logEvery?: number; evalEvery?: number } = {}) {
  const { epochs = 2, stepsPerEpoch = 23, logEvery = 5, evalEvery = 10 } = opts;
  const t = fakeView();
  const logged: number[] = [], validated: number[] = [];
  let lastRefreshStep = -1;
  const refresh = (newItems: boolean) => {
    const s = t.step;
    if (newItems) t.logs['train/loss'] = 2 * Math.exp(-s / 20) + 0.05 * Math.sin(s);
    t.logs['train/lr'] = 1e-3 * Math.min(1, s / 10) * (1 - s / 60);
    t.logs['train/grad_norm'] = 1 + Math.cos(s / 3);
    t.logs['train/throughput'] = newItems ? 1500 + 40 * Math.sin(s / 4) : 0;
    t.logs['train/lr/group_0'] = t.logs['train/lr'];
    t.logs['train/lr/group_1'] = t.logs['train/lr'] / 4;   // a second param group
    t.logs['train/memory/rss_bytes'] = 420e6 + s * 1.5e6;
    t.logs['train/memory/tensor_bytes'] = 38e6;
    t.logs['train/tokens_per_sec'] = 0;                    // no tokens in this task: not plotted
    if (newItems && lastRefreshStep !== s) logged.push(s);
    lastRefreshStep = s;
  };
  const validate = () => {
    const s = t.step;
    const metrics = { loss: 2.1 * Math.exp(-s / 25) + 0.1, accuracy: 0.4 + 0.5 * (1 - Math.exp(-s / 15)), f1: 0.35 + 0.5 * (1 - Math.exp(-s / 15)), throughput: 4000 };
    for (const [k, v] of Object.entries(metrics)) t.logs[`val/${k}`] = v;
    d.onValidationEnd(t, metrics);
    validated.push(s);
  };
  d.onFitStart(t);
  for (let e = 0; e < epochs; e++) {
    t.epoch = e;
    for (let b = 0; b < stepsPerEpoch; b++) {
      t.step += 1;
      d.onTrainBatchEnd(t, { step: t.step, epoch: e, batchIndex: b, loss: 0, items: 8, optimizerStep: { lr: [1e-3], skipped: null, gradNorm: null, scale: null } });
      if (t.step % logEvery === 0) refresh(true);
      if (t.step % evalEvery === 0) validate();
    }
    refresh(lastRefreshStep !== t.step);   // the epoch's end
    validate();
    d.onTrainEpochEnd(t, { epoch: e, loss: 1, items: 184, microBatches: stepsPerEpoch, optimizerSteps: stepsPerEpoch, seconds: 1.2, throughput: 1533, completed: true, validation: { loss: 1, accuracy: 0.8 } });
  }
  d.onFitEnd(t, { epochs: [], steps: t.step, stoppedEarly: false, reason: 'maxEpochs reached' });
  return { logged, validated };
}

const confusion = { labels: ['cat', 'dog', 'bird'], matrix: [[50, 7, 3], [9, 41, 10], [2, 6, 52]] };
const profiles = {
  profiles: {
    train: { items: 4800, labels: { cat: 1600, dog: 1600, bird: 1600 }, sequenceLength: { mean: 31.2, p95: 60 } },
    val: { items: 180, labels: { cat: 60, dog: 60, bird: 60 }, sequenceLength: { mean: 33.9, p95: 71 } },
  },
  drift: [{ feature: 'sequenceLength', psi: 0.04, jsDivergence: 0.01, flagged: false }, { feature: 'label', psi: 0.31, jsDivergence: 0.09, flagged: true }],
};

describe('HtmlDashboard: history and writing', () => {
  it('records every logging step once (not the epoch-end refresh of the same step) and every validation', () => {
    const d = new HtmlDashboard({ path: path.join(tempDir(), 'run', 'dashboard.html'), info: false, minIntervalMs: 0 });
    const { logged, validated } = simulate(d);
    const state = d.stateDict() as { train: { step: number }[]; validation: { step: number }[]; epochs: unknown[] };
    expect(state.train.map((p) => p.step)).toEqual(logged);
    expect(logged).toEqual([5, 10, 15, 20, 23, 25, 30, 35, 40, 45, 46]);
    expect(state.validation.map((p) => p.step)).toEqual(validated);
    expect(state.epochs).toHaveLength(2);
    const again = new HtmlDashboard({ path: path.join(tempDir(), 'x.html'), info: false });
    again.loadStateDict(d.stateDict());
    expect(again.stateDict()).toEqual(d.stateDict());
  });

  it('takes the training values from onLog where the Trainer calls it (and validations from onValidationEnd)', () => {
    const d = new HtmlDashboard({ path: path.join(tempDir(), 'onlog.html'), info: false, minIntervalMs: 0 });
    const t = fakeView();
    d.onFitStart(t);
    for (const step of [10, 20]) {
      t.step = step;
      t.logs['train/loss'] = 1 / step;
      d.onLog(t, { 'train/loss': 1 / step, 'train/lr': 0.1 }, step);
      d.onTrainBatchEnd(t, { step: step + 1, epoch: 0, batchIndex: step, loss: 0, items: 1, optimizerStep: { lr: [0.1], skipped: null, gradNorm: null, scale: null } });
    }
    d.onValidationEnd(t, { loss: 0.5 });
    d.onLog(t, { 'val/loss': 0.5 }, 20);
    const state = d.stateDict() as { train: { step: number; values: Record<string, number> }[]; validation: { step: number }[] };
    expect(state.train).toMatchObject([{ step: 10, values: { 'train/loss': 0.1, 'train/lr': 0.1 } }, { step: 20, values: { 'train/loss': 0.05 } }]);
    expect(state.validation).toMatchObject([{ step: 20, metrics: { loss: 0.5 } }]);
  });

  it('writes at most once per interval during training, always at the end, atomically', () => {
    const dir = tempDir();
    const file = path.join(dir, 'dashboard.html');
    const d = new HtmlDashboard({ path: file, info: false, minIntervalMs: 60_000 });
    simulate(d);
    expect(d.writes).toBe(2);   // the fit's start and its end: the rest fell inside the interval
    expect(readdirSync(dir)).toEqual(['dashboard.html']);   // no temporary file left behind
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('"status":"finished"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|url\(\s*['"]?https?:|<img[^>]+src=["']?https?:/);   // nothing to load
    const every = new HtmlDashboard({ path: path.join(dir, 'every.html'), info: false, minIntervalMs: 0 });
    simulate(every);
    expect(every.writes).toBeGreaterThan(15);
  });

  it('fails at fit start on a path it cannot write, and refuses a malformed confusion matrix', () => {
    const dir = tempDir();
    const blocked = path.join(dir, 'file');
    new HtmlDashboard({ path: blocked, info: false }).write();
    const d = new HtmlDashboard({ path: path.join(blocked, 'dashboard.html'), info: false });
    expect(() => d.onFitStart(fakeView())).toThrow(/could not write .*choose a writable path/);
    expect(() => d.setConfusionMatrix({ matrix: [[1, 2], [3]] })).toThrow(/square number\[\]\[\]/);
    expect(() => d.setConfusionMatrix({ matrix: [[1, 2], [3, 4]], labels: ['a'] })).toThrow(/2 classes but 1 labels/);
  });
});

describe.skipIf(!chromiumPath)('HtmlDashboard in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('loads from file:// with no errors or requests and draws every plot, the confusion matrix and the profiles', async () => {
    const file = path.join(tempDir(), 'dashboard.html');
    const d = new HtmlDashboard({
      path: file, title: 'synthetic 3-class run', confusionMatrix: confusion, profiles,
      config: { maxEpochs: 2, logEveryNSteps: 5, evalEveryNSteps: 10, optimizer: { name: 'adamw', lr: 1e-3, weightDecay: 0.01 } },
      task: { type: 'seq_classification', numClasses: 3, metrics: ['loss', 'accuracy', 'f1'] },
      info: { torchtrainVersion: '0.1.0', libtorchVersion: '2.x', device: 'cpu' },
    });
    const { logged, validated } = simulate(d);
    const page = await openDashboard(browser, file, 'synthetic.png');
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    const s = page.summary;
    expect(s.ready).toBe(true);
    expect(s.status).toBe('finished');
    expect(s.plots.map((p) => p.name)).toEqual(['loss', 'lr', 'grad_norm', 'throughput', 'memory', 'accuracy', 'f1']);
    const plot = (name: string) => s.plots.find((p) => p.name === name)!;
    const n = logged.length;
    expect(plot('loss').series).toEqual([{ label: 'train', points: n }, { label: 'validation', points: validated.length }]);
    expect(plot('lr').series).toEqual([{ label: 'group 0', points: n }, { label: 'group 1', points: n }]);
    expect(plot('memory').series).toEqual([{ label: 'rss', points: n }, { label: 'tensor', points: n }]);
    expect(plot('grad_norm').series).toEqual([{ label: 'train', points: n }]);
    expect(plot('throughput').series).toEqual([{ label: 'items/s', points: n }]);
    for (const name of ['accuracy', 'f1']) expect(plot(name).series).toEqual([{ label: 'validation', points: validated.length }]);
    for (const p of s.plots) expect(page.canvases[p.name], p.name).toBe(1);
    expect(s.confusionMatrix).toEqual({ classes: 3, cells: 9 });
    expect(page.matrixCells).toBe(9);
    expect(s.profiles).toEqual({ cards: 3 });
    expect(s.sections).toEqual(['Training curves', 'Confusion matrix', 'Epochs', 'Data profiles and drift', 'Run']);
    expect(existsSync(page.screenshot)).toBe(true);
  });

  it('draws computeDatasetProfile / compareProfiles results: sizes, the PSI/JS table with flags, the main feature\'s bins in train and val', async () => {
    const task = { type: 'seq_classification' as const, numClasses: 3, padTokenId: 0 };
    const items = (n: number, shift: number) => Array.from({ length: n }, (_, i) => ({ input_ids: Array.from({ length: 4 + ((i * 7) % 20) + shift }, (_, j) => 1 + ((i + j) % 30)), labels: i % 3 }));
    const train = await computeDatasetProfile(items(600, 0), task, { progress: false });
    const val = await computeDatasetProfile(items(200, 12), task, { progress: false, reference: train });
    const drift = compareProfiles(train, val, { names: ['train', 'val'] });
    expect(drift.flagged).toContain('input_ids.length');
    const file = path.join(tempDir(), 'profiles.html');
    const d = new HtmlDashboard({ path: file, info: false, minIntervalMs: 0, profiles: { profiles: { train, val }, drift } });
    simulate(d, { epochs: 1 });
    const page = await openDashboard(browser, file, 'profiles.png');
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    const p = page.summary.profiles!;
    expect(p).toMatchObject({ cards: 5, splits: 2, driftRows: drift.features.length, flagged: drift.flagged.length });
    expect(p.histogram).toEqual({ feature: 'input_ids.length', series: 2, points: drift.features.find((f) => f.feature === 'input_ids.length')!.bins.length, canvas: true });
    expect(page.canvases['profile-histogram']).toBe(1);
  });

  it('shows an empty run (nothing logged yet) without errors and with the profiles section marked', async () => {
    const file = path.join(tempDir(), 'empty.html');
    const d = new HtmlDashboard({ path: file, info: false });
    d.onFitStart(fakeView());
    const page = await openDashboard(browser, file, 'empty.png');
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.summary.status).toBe('running');
    expect(page.summary.plots).toEqual([]);
    expect(page.summary.profiles).toBeNull();
    expect(page.summary.sections).toContain('Data profiles and drift');
  });
});

describe.runIf(!chromiumPath && inCI)('HtmlDashboard browser tests in CI', () => {
  it('needs a chromium', () => {
    throw new Error('CI=true but no chromium was found: scripts/setup.sh installs it (apt-get install -y chromium), or set TORCHTRAIN_CHROMIUM');
  });
});
