// A user's run: `torchtrain bench config --config run.yaml` times the training steps of the run
// that config describes (its data, model, task, optimizer and precision, through the Trainer),
// without evaluation, checkpoints or an export. torchtrain only: an arbitrary config has no
// PyTorch twin, so the figure stands alone (compare it across versions or machines).
import path from 'node:path';
import { buildRun, load } from '../config/index.js';
import { DefaultHooks } from '../engine/hooks.js';
import { median } from './stats.js';
import type { Workload } from './types.js';

const WARMUP = 2;

class StepTimes extends DefaultHooks {
  readonly times: number[] = [];
  private last = 0n;
  override onTrainBatchStart(): void {
    this.last = process.hrtime.bigint();
  }
  override onTrainBatchEnd(): void {
    this.times.push(Number(process.hrtime.bigint() - this.last) / 1e6);
  }
}

export const CONFIG_WORKLOAD: Workload = {
  name: 'config', description: 'the training steps of a run config (--config run.yaml) through the Trainer, torchtrain only',
  unit: 'ms', measure: 'ms per training step', byDefault: false,
  unavailable: (ctx) => (ctx.configFile ? null : 'needs --config <run.yaml>'),
  async sides(ctx) {
    const file = path.resolve(ctx.configFile!);
    const steps = ctx.steps || 10;
    const config = load(file);
    const trainer = { ...config.trainer, maxSteps: steps + WARMUP, maxEpochs: undefined, evalAtEpochEnd: false, evalEveryNSteps: undefined };
    let round = 0;
    return [{
      name: 'torchtrain', label: `torchtrain Trainer (${path.basename(file)})`,
      async round() {
        const timer = new StepTimes();
        const run = await buildRun({ ...config, trainer, checkpoint: false }, { runDir: path.join(ctx.workDir, `config-run-${++round}`), callbacks: [timer] });
        await run.trainer.fit();
        if (timer.times.length <= WARMUP) throw new Error(`config: the run made only ${timer.times.length} step(s); its data must hold at least ${WARMUP + 1} batches`);
        return { value: median(timer.times.slice(WARMUP)) };
      },
    }];
  },
};
