// Turns the three sides' samples into the bench:ops table (markdown) and its JSON record.
import { ROWS, median, type SideResult } from './spec.js';

// The project's stated target for tiny ops: torchtrain at most 0.75x PyTorch's time, i.e. our
// overhead above the C++ floor at most half of Python's. Reported, never asserted: a benchmark
// that fails on a noisy machine teaches people to ignore it.
export const TIME_TARGET = 0.75;
export const OVERHEAD_TARGET = 0.5;

export interface Row {
  op: string;
  tiny: boolean;
  floorUs: number;
  torchtrainUs: number;
  pytorchUs: number;
  /** torchtrain time / PyTorch time */
  ratio: number;
  torchtrainOverheadUs: number;
  pytorchOverheadUs: number;
  /** torchtrain overhead / PyTorch overhead; null when PyTorch's overhead is not positive (noise). */
  overheadRatio: number | null;
  meetsTimeTarget: boolean;
  meetsOverheadTarget: boolean | null;
  /** Fastest repeat per side: less sensitive to bursts of background load than the median. */
  bestUs: { floor: number; torchtrain: number; pytorch: number };
  /** Spread of the timed repeats, (max - min) / median, per side: how far to trust the row. */
  spread: { floor: number; torchtrain: number; pytorch: number };
}

function spreadOf(xs: number[]): number {
  const m = median(xs);
  return m > 0 ? (Math.max(...xs) - Math.min(...xs)) / m : 0;
}

export function buildRows(floor: SideResult, tt: SideResult, py: SideResult): Row[] {
  return ROWS.map(({ label, key, divide, tiny }) => {
    const get = (side: SideResult): number[] => {
      const s = side.samples[key];
      if (!s?.length) throw new Error(`the ${side.side} side reported no samples for ${key}`);
      return s.map((v) => v / divide);
    };
    const [f, t, p] = [get(floor), get(tt), get(py)];
    const floorUs = median(f), torchtrainUs = median(t), pytorchUs = median(p);
    const ttOver = torchtrainUs - floorUs, pyOver = pytorchUs - floorUs;
    const overheadRatio = pyOver > 0 ? Math.max(0, ttOver) / pyOver : null;
    return {
      op: label,
      tiny,
      floorUs,
      torchtrainUs,
      pytorchUs,
      ratio: torchtrainUs / pytorchUs,
      torchtrainOverheadUs: ttOver,
      pytorchOverheadUs: pyOver,
      overheadRatio,
      meetsTimeTarget: torchtrainUs / pytorchUs <= TIME_TARGET,
      meetsOverheadTarget: overheadRatio === null ? null : overheadRatio <= OVERHEAD_TARGET,
      bestUs: { floor: Math.min(...f), torchtrain: Math.min(...t), pytorch: Math.min(...p) },
      spread: { floor: spreadOf(f), torchtrain: spreadOf(t), pytorch: spreadOf(p) },
    };
  });
}

function us(v: number): string {
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : a >= 10 ? v.toFixed(2) : v.toFixed(3);
}

const yesNo = (b: boolean | null): string => (b === null ? 'n/a' : b ? 'yes' : 'NO');

export function markdownTable(rows: Row[]): string {
  const header = [
    'op', 'C++ floor us', 'torchtrain us', 'PyTorch us', 'torchtrain/PyTorch',
    'torchtrain overhead over floor us', 'PyTorch overhead over floor us', 'overhead ratio',
    `target (<=${TIME_TARGET}x time / <=${OVERHEAD_TARGET}x overhead)`,
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of rows) {
    const target = `${yesNo(r.meetsTimeTarget)} / ${yesNo(r.meetsOverheadTarget)}${r.tiny ? '' : ' (info)'}`;
    lines.push(`| ${[
      r.op, us(r.floorUs), us(r.torchtrainUs), us(r.pytorchUs), `${r.ratio.toFixed(2)}x`,
      us(r.torchtrainOverheadUs), us(r.pytorchOverheadUs),
      r.overheadRatio === null ? 'n/a' : `${r.overheadRatio.toFixed(2)}x`, target,
    ].join(' | ')} |`);
  }
  return lines.join('\n');
}

export interface RunMeta {
  generatedAt: string;
  threads: number;
  repeats: number;
  scale: number;
  cpus: number;
  cpuModel: string;
  node: string;
  versions: { floor: string; torchtrain: string; pytorch: string };
  libDirs: { floorAndTorchtrain: string; pytorch: string | undefined };
  notes: string[];
}

export function markdownReport(rows: Row[], meta: RunMeta): string {
  const noisy = rows.filter((r) => Math.max(r.spread.floor, r.spread.torchtrain, r.spread.pytorch) > 0.25);
  return [
    '# bench:ops — per-op time: C++ floor vs torchtrain vs PyTorch',
    '',
    `${meta.generatedAt} · ${meta.threads} thread(s) on all sides · median of ${meta.repeats} timed repeats` +
      ` (after one warm-up repeat)${meta.scale !== 1 ? ` · iteration counts scaled by ${meta.scale}` : ''}`,
    `libtorch ${meta.versions.floor} (floor) / ${meta.versions.torchtrain} (torchtrain) / PyTorch ${meta.versions.pytorch}` +
      ` · ${meta.cpuModel} x${meta.cpus} · Node ${meta.node}`,
    '',
    markdownTable(rows),
    '',
    'Times are microseconds per op (per chain / per training iteration where the row says so).',
    'Overhead = time minus the C++ floor (plain ATen calls in a C++ loop, the least any binding can cost);',
    'overhead ratio = torchtrain overhead / PyTorch overhead. The target column reports the project goal',
    `(torchtrain <= ${TIME_TARGET}x PyTorch's time, i.e. overhead <= ${OVERHEAD_TARGET}x Python's); it is stated for tiny`,
    'ops, so rows marked (info) are for context only. Nothing here is asserted.',
    ...(noisy.length
      ? ['', "Noisy rows (a side's repeats spread more than 25% around its median); fastest repeat floor / torchtrain / PyTorch us:",
          ...noisy.map((r) => `- ${r.op}: ${us(r.bestUs.floor)} / ${us(r.bestUs.torchtrain)} / ${us(r.bestUs.pytorch)}`)]
      : []),
    ...(meta.notes.length ? ['', ...meta.notes.map((n) => `Note: ${n}`)] : []),
    '',
  ].join('\n');
}
