// `torchtrain bench`: named workloads against PyTorch (and nanoGPT) in interleaved rounds; the
// report as JSON, a markdown table and a self-contained HTML page with plots.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderReportHtml } from './report-html.js';
import { markdownReport } from './report-table.js';
import type { BenchReport } from './types.js';

export { runBenchmarks, PACKAGE_ROOT, type BenchOptions } from './harness.js';
export { WORKLOADS, WORKLOAD_NAMES, UnknownWorkloadError, resolveWorkloads } from './workloads.js';
export { markdownReport, markdownTable, describeRun } from './report-table.js';
export { renderReportHtml } from './report-html.js';
export { PEAK_BF16_TFLOPS, peakTFlops, throughput, transformerTrainingFlops } from './flops.js';
export type * from './types.js';

/** Writes bench.json, bench.md and bench.html into `dir`; returns their paths. */
export function writeReports(report: BenchReport, dir: string): { json: string; markdown: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const files = { json: path.join(dir, 'bench.json'), markdown: path.join(dir, 'bench.md'), html: path.join(dir, 'bench.html') };
  writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files.markdown, markdownReport(report));
  writeFileSync(files.html, renderReportHtml(report));
  return files;
}
