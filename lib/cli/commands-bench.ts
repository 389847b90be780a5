// `torchtrain bench`: runs the harness of lib/bench and prints the table (or the JSON), writing
// bench.json, bench.md and bench.html into --out. Exit code 1 when a workload failed (e.g. the
// sides' losses differ), 2 for an unknown workload name.
import { UsageError } from './errors.js';

export interface BenchCommandOptions {
  workloads: string[];
  rounds: number;
  threads?: number;
  steps?: number;
  out: string;
  json: boolean;
  list: boolean;
  config?: string;
  device: 'auto' | 'cpu' | 'cuda';
}

export async function runBenchCommand(o: BenchCommandOptions): Promise<number> {
  const bench = await import('../bench/index.js');
  if (o.list) {
    const width = Math.max(...bench.WORKLOAD_NAMES.map((n) => n.length));
    for (const w of bench.WORKLOADS) console.log(`${w.name.padEnd(width)}  ${w.byDefault ? '(default) ' : ''}${w.description}`);
    return 0;
  }
  try {
    bench.resolveWorkloads(o.workloads);
  } catch (err) {
    if (err instanceof bench.UnknownWorkloadError) throw new UsageError(err.message);
    throw err;
  }
  if (o.workloads.includes('config') && !o.config) throw new UsageError('the config workload needs --config <run.yaml>');
  const report = await bench.runBenchmarks({
    workloads: o.workloads, rounds: o.rounds, threads: o.threads, steps: o.steps, device: o.device, config: o.config,
  });
  const files = bench.writeReports(report, o.out);
  if (o.json) console.log(JSON.stringify(report, null, 2));
  else console.log(`\n${bench.markdownReport(report)}\nwritten: ${files.json}, ${files.markdown}, ${files.html}`);
  return report.workloads.some((w) => w.failed) ? 1 : 0;
}
