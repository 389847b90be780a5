// TrainLogs: what the training loop reads back from the device, and when. Every optimizer update
// leaves its gradient norm and non-finite flag on the device; refresh() (every logEveryNSteps
// updates and at an epoch's end) reads the loss and item sums, the last norm, the non-finite
// flags (NonFiniteGuard) and the loss scale — a handful of host reads per interval, none per
// micro-batch — and writes trainer.logs and TrainerState.itemsSeen. The tags (README.md, Training):
//   'train/loss' (mean per item over the interval), 'train/lr' (group 0) and 'train/lr/group_<i>'
//   (each group, when there are several), 'train/grad_norm' (the last update's, before clipping),
//   'train/loss_scale' (fp16), 'train/throughput' (loss items/s), 'train/samples_per_sec',
//   'train/tokens_per_sec' (text: input tokens/s), 'train/data_wait_fraction' (share of the
//   interval's wall time spent waiting for the next batch), 'train/memory/rss_bytes' (process
//   resident set), 'train/memory/tensor_bytes' (this thread's live native tensor storages), and on
//   a CUDA device 'train/memory/cuda_allocated_bytes' and 'train/memory/cuda_peak_bytes' (the
//   caching allocator's torch.cuda.memoryAllocated / maxMemoryAllocated: the peak is the process's,
//   since start or the user's last resetPeakMemoryStats; resetting it here would change what the
//   user's own queries see). Reading them is a host-side counter read, no GPU sync.
import { cuda } from '../core/device.js';
import { memory } from '../core/runtime.js';
import { dispose, keep } from '../core/scope.js';
import { type Tensor } from '../core/tensor.js';
import { type LossTotals } from '../metrics/tracker.js';
import { NonFiniteGuard } from './non-finite-guard.js';
import { type OptimizerStepResult } from './optimizer-step.js';
import { type TrainerCore } from './trainer-core.js';
import { recordItemsSeen } from './trainer-state.js';

export class TrainLogs {
  private gradNorm: Tensor | null = null;
  private readonly nonFinite: NonFiniteGuard;
  private lastLr: number[] = [];
  private itemsBeforeEpoch = 0;
  private last: LossTotals = { lossSum: 0, items: 0 };
  private lastTime = performance.now();
  private lastSamples = 0;
  private lastTokens = 0;
  private dataWaitMs = 0;
  /** Reads the scaler's scale on demand (null without an enabled scaler). */
  readonly scaleReader: (() => number) | null;
  /** The CUDA device trained on ('cuda', 'cuda:N'), or null: CUDA memory is logged only there. */
  private readonly cudaDevice: string | null;

  constructor(private readonly core: TrainerCore) {
    const scaler = core.scaler?.isEnabled() ? core.scaler : null;
    this.scaleReader = scaler ? () => scaler.getScale() : null;
    this.nonFinite = new NonFiniteGuard(core.config.maxConsecutiveNonFinite);
    this.cudaDevice = core.device.startsWith('cuda') ? core.device : null;
  }

  startEpoch(): void {
    this.itemsBeforeEpoch = this.core.state.itemsSeen;
    this.last = { lossSum: 0, items: 0 };
    this.lastTime = performance.now();
    this.lastSamples = this.core.state.samplesSeen;
    this.lastTokens = this.core.state.tokensSeen;
    this.dataWaitMs = 0;
  }

  /** Time the loop spent waiting for a batch (measured around the fetch), for 'train/data_wait_fraction'. */
  addDataWait(ms: number): void {
    this.dataWaitMs += ms;
  }

  /** An optimizer update's device values, kept until the next read (no host read here). */
  recordUpdate(result: OptimizerStepResult): void {
    this.lastLr = result.lr;
    if (result.gradNorm) {
      if (this.gradNorm) dispose(this.gradNorm);
      this.gradNorm = keep(result.gradNorm.detach());
    }
    const step = this.core.state.step;
    if (result.skipped === null) this.nonFinite.recordDevice(result.foundInf, step);
    else this.nonFinite.recordSkip(result.skipped, this.scaleReader!(), step);
  }

  /** Reads the device sums into trainer.logs and TrainerState; returns the epoch's totals. */
  refresh(): LossTotals {
    const c = this.core;
    const totals = c.lossTotals(); // every rank's in data-parallel training
    const now = performance.now();
    const items = totals.items - this.last.items;
    const logs = c.logs;
    if (items > 0) logs['train/loss'] = (totals.lossSum - this.last.lossSum) / items;
    if (this.lastLr.length) logs['train/lr'] = this.lastLr[0];
    if (this.lastLr.length > 1) this.lastLr.forEach((lr, i) => (logs[`train/lr/group_${i}`] = lr));
    if (this.gradNorm) logs['train/grad_norm'] = this.gradNorm.item();
    if (this.scaleReader) logs['train/loss_scale'] = this.scaleReader();
    const seconds = (now - this.lastTime) / 1000;
    const samples = c.state.samplesSeen - this.lastSamples;
    // A read with nothing trained since the last (an epoch's end right after a logging step) keeps the rates.
    if (seconds > 0 && samples > 0) {
      logs['train/throughput'] = items / seconds;
      logs['train/samples_per_sec'] = samples / seconds;
      const tokens = c.state.tokensSeen - this.lastTokens;
      if (tokens > 0) logs['train/tokens_per_sec'] = tokens / seconds;
      logs['train/data_wait_fraction'] = Math.min(1, this.dataWaitMs / (now - this.lastTime));
    }
    logs['train/memory/rss_bytes'] = process.memoryUsage.rss();
    logs['train/memory/tensor_bytes'] = memory().storageBytes;
    if (this.cudaDevice) {
      const allocated = cuda.memoryAllocated(this.cudaDevice);
      const peak = cuda.maxMemoryAllocated(this.cudaDevice);
      if (allocated !== null) logs['train/memory/cuda_allocated_bytes'] = allocated;
      if (peak !== null) logs['train/memory/cuda_peak_bytes'] = peak;
    }
    this.lastSamples = c.state.samplesSeen;
    this.lastTokens = c.state.tokensSeen;
    this.dataWaitMs = 0;
    recordItemsSeen(c.state, this.itemsBeforeEpoch + totals.items);
    this.last = totals;
    this.lastTime = now;
    this.nonFinite.check(c.state.step, Number.isFinite(totals.lossSum));
    return totals;
  }

  dispose(): void {
    if (this.gradNorm) dispose(this.gradNorm);
    this.gradNorm = null;
    this.nonFinite.dispose();
  }
}
