// `torchtrain bench`: the harness on tiny workloads (1 round, 1 step) produces a report with the
// documented fields, an HTML page that a real Chromium draws without errors, --list, a clear
// error for an unknown workload, and the CUDA throughput arithmetic. No timing is asserted.
import { mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchReport, peakTFlops, resolveWorkloads, runBenchmarks, throughput, transformerTrainingFlops, writeReports } from '../../lib/bench/index.js';
import { median } from '../../lib/bench/stats.js';
import { explain, runCli } from '../cli/cli-process.js';
import { chromiumPath, inCI, launch } from '../dashboard/browser.js';
import { parityRequired, referencePython } from '../helpers/python.js';

const python = referencePython();
if (!python && !parityRequired) console.warn('\n*** test/bench: no reference Python: the PyTorch sides are reported as skipped ***\n');

describe('torchtrain bench (command line)', () => {
  it('--list names every workload and marks the default set', async () => {
    const r = await runCli(['bench', '--list']);
    expect(r.code, explain(r, 'bench --list')).toBe(0);
    for (const w of ['mlp', 'lenet', 'gpt-mini', 'tiny-ops', 'adamw', 'dataloader', 'checkpoint', 'memory', 'nanogpt', 'ddp', 'config']) {
      expect(r.stdout).toMatch(new RegExp(`^${w}\\s+`, 'm'));
    }
    expect(r.stdout).toMatch(/^mlp\s+\(default\)/m);
    expect(r.stdout).not.toMatch(/^nanogpt\s+\(default\)/m);
  }, 60_000);

  it('an unknown workload is bad usage naming the nearest and all known workloads', async () => {
    const r = await runCli(['bench', 'gtp-mini']);
    expect(r.code, explain(r, 'bench gtp-mini')).toBe(2);
    expect(r.stderr).toMatch(/unknown workload 'gtp-mini' \(did you mean 'gpt-mini'\?\); the workloads are mlp, lenet, gpt-mini/);
  }, 60_000);

  it('resolveWorkloads: empty is the default set; a typo throws', () => {
    expect(resolveWorkloads([]).map((w) => w.name)).toEqual(['mlp', 'lenet', 'gpt-mini', 'tiny-ops', 'adamw', 'dataloader', 'checkpoint', 'memory']);
    expect(() => resolveWorkloads(['mpl'])).toThrow(/did you mean 'mlp'/);
  });
});

describe('CUDA throughput figures', () => {
  it('tokens/s, achieved TFLOP/s and MFU against a known peak; MFU omitted with a note for an unknown device', () => {
    expect(peakTFlops('NVIDIA H200')?.tflops).toBe(989);
    expect(peakTFlops('NVIDIA A100-SXM4-80GB')?.tflops).toBe(312);
    const flops = transformerTrainingFlops({ parameters: 1e6, nLayer: 2, blockSize: 10, nEmbd: 8 }, 3);
    expect(flops).toBe((6 * 1e6 + 12 * 2 * 10 * 8) * 10 * 3);
    const t = throughput(100, { tokens: 1000, flops: 989e12 * 0.1 * 0.5 }, 'NVIDIA H200');
    expect(t.tokensPerSecond).toBeCloseTo(10_000);
    expect(t.mfu).toBeCloseTo(0.5);
    const unknown = throughput(100, { tokens: 1000, flops: 1e12 }, 'Some Future GPU');
    expect(unknown.mfu).toBeNull();
    expect(unknown.note).toMatch(/no peak known for device 'Some Future GPU'/);
  });

  it('median of rounds', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

describe('a report from tiny workloads', () => {
  let report: BenchReport;
  let files: ReturnType<typeof writeReports>;
  const out = mkdtempSync(path.join(tmpdir(), 'torchtrain-bench-test-'));

  beforeAll(async () => {
    if (!python && parityRequired) throw new Error('test/bench: no reference Python (set TORCHTRAIN_PYTHON or build against a Python torch)');
    report = await runBenchmarks({ workloads: ['mlp', 'dataloader'], rounds: 1, steps: 1, device: 'cpu', log: () => {} });
    files = writeReports(report, out);
  }, 120_000);

  it('has the documented fields: versions, threads, load average, rounds, per side median and range, ratios', () => {
    expect(report).toMatchObject({ version: 1, device: 'cpu', precision: 'fp32', rounds: 1 });
    expect(report.threads.torchtrain).toBeGreaterThan(0);
    expect(report.loadAverage.before).toHaveLength(3);
    expect(report.loadAverage.after).toHaveLength(3);
    expect(report.workloads.map((w) => w.name)).toEqual(['mlp', 'dataloader']);
    for (const w of report.workloads) {
      expect(w.failed, w.failed).toBeUndefined();
      if (!python) { expect(w.skipped).toMatch(/no PyTorch side/); continue; }
      expect(report.threads.pytorch).toBe(report.threads.torchtrain);
      expect(w.sides.map((s) => s.name)).toEqual(['torchtrain', 'pytorch']);
      for (const s of w.sides) {
        expect(s.rounds).toHaveLength(1);
        expect(s.median).toBeGreaterThan(0);
        expect(s.min).toBeLessThanOrEqual(s.median);
        expect(s.max).toBeGreaterThanOrEqual(s.median);
      }
      expect(w.ratios).toEqual([expect.objectContaining({ of: 'torchtrain', to: 'pytorch', median: expect.any(Number) })]);
    }
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as BenchReport;
    expect(json.workloads).toHaveLength(2);
    expect(readFileSync(files.markdown, 'utf8')).toMatch(/\| mlp \| ms per training step \|/);
  });

  const browserIt = chromiumPath || inCI ? it : it.skip;
  browserIt('the HTML report draws its plots in Chromium without errors or network requests', async () => {
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      const errors: string[] = [], requests: string[] = [];
      const url = pathToFileURL(files.html).href;
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
      const summary = await page.evaluate('window.__bench') as { plots: { against: string; bars: number; canvas: boolean }[]; tables: number };
      const dir = path.resolve('test-output/bench');
      mkdirSync(dir, { recursive: true });
      const shot = path.join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      expect(summary.tables).toBeGreaterThan(0);
      if (python) expect(summary.plots).toEqual([{ against: 'pytorch', bars: 2, workloads: ['mlp', 'dataloader'], canvas: true }]);
      expect(statSync(shot).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  }, 60_000);

  afterAll(() => {
    // keep `out` for a look when a test failed; it is in the system's temporary folder
  });
});
