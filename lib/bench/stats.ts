// Medians and ranges of rounds: the harness reports the median and the min-max of interleaved
// rounds rather than a mean, since one disturbed round on a shared machine moves a mean a lot.
import type { RatioSummary, SideSummary } from './types.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarise(name: string, label: string, rounds: number[], extras: Record<string, number>[]): SideSummary {
  const keys = [...new Set(extras.flatMap((e) => Object.keys(e)))];
  const extra = Object.fromEntries(keys.map((k) => [k, median(extras.map((e) => e[k]).filter((v): v is number => typeof v === 'number'))]));
  return { name, label, rounds, median: median(rounds), min: Math.min(...rounds), max: Math.max(...rounds), extra };
}

/** torchtrain's value over each other side's, round by round (rounds are interleaved, so each pair ran side by side). */
export function ratios(sides: readonly SideSummary[]): RatioSummary[] {
  const ours = sides.find((s) => s.name === 'torchtrain');
  if (!ours) return [];
  return sides.filter((s) => s !== ours).map((other) => {
    const per = ours.rounds.map((v, i) => v / other.rounds[i]!).filter((r) => Number.isFinite(r));
    return { of: ours.name, to: other.name, median: median(per), min: Math.min(...per), max: Math.max(...per) };
  });
}
