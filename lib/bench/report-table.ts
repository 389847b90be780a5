// The report as text: a markdown table (stdout, bench.md and the README's generated section),
// one row per workload and reference side, with medians and min-max ranges of the rounds.
import type { BenchReport, SideSummary, WorkloadResult } from './types.js';

const SIDE_LABELS: Record<string, string> = { pytorch: 'PyTorch', 'pytorch-plain': 'PyTorch, plain torch.save (no fsync)', nanogpt: 'nanoGPT train.py', lightning: 'Lightning', torchtrain: 'torchtrain' };

export function sideLabel(name: string): string {
  return SIDE_LABELS[name] ?? name;
}

function figure(v: number): string {
  if (!Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

const valueWithRange = (s: SideSummary) => `${figure(s.median)} (${figure(s.min)}-${figure(s.max)})`;

function rows(w: WorkloadResult): string[] {
  if (w.failed) return [`| ${w.name} | ${w.measure} | failed: ${w.failed.split('\n')[0]} | | | |`];
  if (w.skipped) return [`| ${w.name} | ${w.measure} | skipped: ${w.skipped} | | | |`];
  const ours = w.sides.find((s) => s.name === 'torchtrain');
  const others = w.sides.filter((s) => s !== ours);
  if (!ours) return [];
  if (others.length === 0) return [`| ${w.name} | ${w.measure} | ${valueWithRange(ours)} | - | - | - |`];
  return others.map((o) => {
    const r = w.ratios.find((x) => x.to === o.name);
    const ratio = r ? `**${r.median.toFixed(2)}x** (${r.min.toFixed(2)}-${r.max.toFixed(2)})` : '-';
    return `| ${w.name} | ${w.measure} | ${valueWithRange(ours)} | ${sideLabel(o.name)} | ${valueWithRange(o)} | ${ratio} |`;
  });
}

/** The header line: what ran where, threads, rounds and the machine's load. */
export function describeRun(report: BenchReport): string {
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  return `torchtrain ${report.torchtrainVersion} on libtorch ${report.libtorchVersion}${report.pytorchVersion ? `, PyTorch ${report.pytorchVersion}` : ''}; `
    + `${report.device}${report.deviceName ? ` (${report.deviceName})` : ''}, ${report.precision}; ${report.cpus} CPUs, `
    + `${report.threads.torchtrain} intra-op thread(s) each side; ${report.rounds} interleaved round(s), median (min-max); `
    + `load average (1, 5, 15 min) ${load(report.loadAverage.before)} before, ${load(report.loadAverage.after)} after.`;
}

export function markdownTable(report: BenchReport): string {
  const lines = [
    '| workload | measure | torchtrain | against | their figure | torchtrain / theirs |',
    '| --- | --- | ---: | --- | ---: | ---: |',
    ...report.workloads.flatMap(rows),
  ];
  for (const w of report.workloads) {
    const start = w.sides.filter((side) => Number.isFinite(side.extra.startRssMB));
    if (start.length) lines.push('', `${w.name}: resident right after start-up (libtorch loaded, before the model): ${start.map((side) => `${sideLabel(side.name)} ${figure(side.extra.startRssMB!)} MB`).join(', ')}.`);
  }
  const throughput = report.workloads.filter((w) => w.throughput);
  if (throughput.length) {
    lines.push('', '| workload | side | tokens/s | achieved TFLOP/s | MFU |', '| --- | --- | ---: | ---: | ---: |');
    for (const w of throughput) {
      for (const [side, t] of Object.entries(w.throughput!)) {
        lines.push(`| ${w.name} | ${sideLabel(side)} | ${t.tokensPerSecond.toFixed(0)} | ${t.achievedTFlops.toFixed(2)} | ${t.mfu === null ? `- (${t.note ?? 'unknown peak'})` : `${(t.mfu * 100).toFixed(1)}%`} |`);
      }
    }
  }
  return lines.join('\n');
}

/** Lower is better everywhere: a ratio under 1 means torchtrain took less time (or memory). */
export function markdownReport(report: BenchReport): string {
  return [`# torchtrain bench`, '', describeRun(report), '', markdownTable(report), '',
    'Ratios are torchtrain\'s time (or peak memory) over the other side\'s, round by round: under 1.00x torchtrain is faster (smaller).', ''].join('\n');
}
