// Data parallelism for the Trainer, as torch.nn.parallel.DistributedDataParallel does it: every
// rank holds the whole model, trains on its shard of the data, and the ranks' gradients are
// summed before each optimizer update, so the ranks stay identical without ever sending weights.
//
// What the Trainer asks of this class, and when (every rank makes the same collectives in the
// same order, or the job hangs until the group's timeout):
//   fit start      checkModelsAgree (names, shapes, dtypes of parameters and buffers), then
//                  broadcastModel (rank 0's values everywhere, as DDP's constructor does)
//   fit start/end  attachReducer / detachReducer (overlap: hooks on the gradient accumulators)
//   window's last  beforeBackward arms the overlapped reducer: buckets all-reduce during backward
//   window end     reduceWindow: gradients summed in DDP's buckets, the window's item count
//                  summed, so the update divides by the GLOBAL items: k ranks of batch B give
//                  exactly the update of one batch kB (tokens for LM tasks, as the loss counts)
//   log reads      reduceTotals: the loss sums and item counts of every rank
//   step ends      agreeStop: a stop on any rank (hook, signal) stops them all at the same step
//   checkpoints    agreeWithRankZero (time-based schedules), gatherRngStates, barrier
// Micro-batches inside a window make no collective (DDP's no_sync): one all-reduce per update.
import { createHash } from 'node:crypto';
import { noGrad } from '../core/autograd.js';
import { tensor } from '../core/creation.js';
import { getRngState } from '../core/runtime.js';
import { scope } from '../core/scope.js';
import { type Tensor } from '../core/tensor.js';
import { allGather, allReduce, barrier, broadcast, getBackend, getRank, getWorldSize, isInitialized } from '../distributed/process-group.js';
import { allReduceGradients } from '../distributed/gradient-buckets.js';
import { OverlappedGradientReducer } from '../distributed/overlapped-reducer.js';
import { type Module } from '../nn/module.js';

/**
 * TrainingConfig.distributed: 'auto' trains data-parallel when a process group of 2+ ranks is
 * initialized; 'off' never; { overlap } is 'auto' with the all-reduce during backward (true, the
 * default) or after it (false).
 */
export type DistributedMode = 'auto' | 'off' | { overlap: boolean };

const DESCRIPTION_BYTES = 512;

export class DataParallel {
  private reducer: OverlappedGradientReducer | null = null;
  /** Whether the backward running now ends a window with the reducer armed. */
  private armed = false;
  /** Overlap at work: buckets all-reduced, and of those started during backward (not after it), over the fit. */
  readonly overlapStats = { buckets: 0, startedDuringBackward: 0 };

  private constructor(readonly rank: number, readonly worldSize: number, /** Where collectives' tensors live: the device for NCCL, the CPU for Gloo. */
    readonly commDevice: string,
    /** All-reduce the gradients during backward (DDP's Reducer) rather than after it. */
    readonly overlap: boolean) {}

  /**
   * The data-parallel context of a Trainer on `device`, or null for a single-process run ('off',
   * no process group, or a group of one rank).
   */
  static resolve(mode: DistributedMode, device: string): DataParallel | null {
    if (mode === 'off' || !isInitialized() || getWorldSize() < 2) return null;
    const backend = getBackend();
    if (backend === 'nccl' && !device.startsWith('cuda')) {
      throw new RangeError(`distributed training: the process group's backend is NCCL, which reduces CUDA tensors only, but the Trainer's device is ${device}; use config.device 'cuda:<LOCAL_RANK>', or initProcessGroup({ backend: 'gloo' }) for CPU training`);
    }
    // NCCL reduces device tensors; Gloo host ones (ProcessGroupGloo copies CUDA tensors itself).
    const overlap = typeof mode === 'object' ? mode.overlap : true;
    return new DataParallel(getRank(), getWorldSize(), backend === 'nccl' ? device : 'cpu', overlap);
  }

  /**
   * A group of 2+ ranks that was initialized after the Trainer was made: the Trainer trains
   * alone on each rank then, which is rarely what was meant; says so (fit() calls this).
   */
  static warnIfJoinedLate(mode: DistributedMode, ddp: DataParallel | null): void {
    if (ddp || mode === 'off' || !isInitialized() || getWorldSize() < 2) return;
    process.emitWarning(`a process group of ${getWorldSize()} ranks is initialized, but it was not when this Trainer was made, so each rank trains on its own; ` +
      'call distributed.initProcessGroup() before new Trainer(...) for data-parallel training, or set config.distributed to \'off\' to silence this', 'TrainerWarning');
  }

  get isMain(): boolean {
    return this.rank === 0;
  }

  /**
   * Throws unless every rank's model has the same parameters and buffers (names, shapes,
   * dtypes, in order), naming the first difference and the ranks that differ: DDP's check, so
   * that a rank built from another config fails at the start instead of all-reducing garbage.
   */
  checkModelsAgree(model: Module): void {
    const entries = describeTensors(model);
    const digest = (text: string) => createHash('sha256').update(text).digest().readInt32LE(0);
    const hashes = scope(() => this.gather(tensor([entries.length, digest(entries.join('\n'))], { dtype: 'int64' }), 'int64'));
    if (hashes.every((h) => h[0] === hashes[0][0] && h[1] === hashes[0][1])) return;
    // They differ: find the first entry where they do (every rank takes the same path here).
    const most = Math.max(...hashes.map((h) => h[0]));
    const perEntry = scope(() => this.gather(tensor(Array.from({ length: most }, (_, i) => (i < entries.length ? digest(entries[i]) : 0)), { dtype: 'int64' }), 'int64'));
    let index = 0;
    while (index < most && perEntry.every((h) => h[index] === perEntry[0][index])) index++;
    const texts = scope(() => this.gather(tensor([...encodeFixed(entries[index] ?? '(none: this rank has fewer parameters and buffers)')], { dtype: 'uint8' }), 'uint8'))
      .map((bytes) => Buffer.from(bytes.filter((b) => b !== 0)).toString('utf8'));
    const differing = texts.map((t, r) => ({ r, t })).filter(({ t }) => t !== texts[0]).map(({ r }) => r);
    throw new RangeError(`distributed training: the ranks' models differ at parameter/buffer #${index}: rank 0 has ${texts[0]}, ` +
      differing.map((r) => `rank ${r} has ${texts[r]}`).join(', ') +
      '; every rank must build the same model (same config and code) before new Trainer(...)');
  }

  /** Copies rank 0's parameters and buffers into every rank's (DDP's broadcast at construction). */
  broadcastModel(model: Module): void {
    noGrad(() => {
      for (const t of [...model.parameters(), ...model.buffers()]) broadcast(t, 0);
    });
  }

  /** At fit start (after broadcastModel): hooks the model's parameters for the overlapped all-reduce. */
  attachReducer(model: Module): void {
    this.detachReducer();
    if (this.overlap) this.reducer = OverlappedGradientReducer.attach(model.parameters());
  }

  /** At fit end: the hooks stay on the accumulators but do nothing. */
  detachReducer(): void {
    this.reducer?.detach();
    this.reducer = null;
    this.armed = false;
  }

  /** Before each micro-batch's backward: a window's last one all-reduces as it goes. */
  beforeBackward(endsWindow: boolean): void {
    if (!this.reducer || !endsWindow) return;
    this.reducer.arm();
    this.armed = true;
  }

  /**
   * At an accumulation window's end: sums every rank's gradients (in DDP's buckets, reverse
   * parameter order: started during backward when overlapped, here otherwise) and the window's item counts. Returns the global item count, a number when
   * the local one was a number, else a 0-d float64 tensor on `like`'s device (the caller's scope).
   */
  reduceWindow(params: readonly Tensor[], windowItems: number | Tensor): number | Tensor {
    if (this.armed) {
      this.armed = false;
      this.overlapStats.startedDuringBackward += this.reducer!.finalize();
      this.overlapStats.buckets += this.reducer!.bucketCount;
    } else {
      allReduceGradients(params, { divisor: 1 });
    }
    if (typeof windowItems === 'number') {
      return scope(() => allReduce(tensor([windowItems], { dtype: 'float64', device: this.commDevice }), 'sum').item());
    }
    const device = windowItems.device;
    const global = allReduce(windowItems.to('float64').reshape([1]).to(this.commDevice).clone(), 'sum');
    return global.reshape([]).to(device);
  }

  /** The sums of every rank: [lossSum, items] of each rank added up (in float64). */
  reduceTotals(lossSum: number, items: number): { lossSum: number; items: number } {
    const [l, n] = scope(() => [...allReduce(tensor([lossSum, items], { dtype: 'float64', device: this.commDevice }), 'sum').to('cpu').data()]);
    return { lossSum: l as number, items: n as number };
  }

  /** Whether any rank wants to stop, and whether any was forced (a signal): the same answer on every rank. */
  agreeStop(stop: boolean, forced: boolean): { stop: boolean; forced: boolean } {
    const [s, f] = scope(() => [...allReduce(tensor([stop ? 1 : 0, forced ? 1 : 0], { dtype: 'float32', device: this.commDevice }), 'max').to('cpu').data()]);
    return { stop: s === 1, forced: f === 1 };
  }

  /** Rank 0's decision (a time-based checkpoint schedule, whose clocks differ between ranks). */
  agreeWithRankZero(decision: boolean): boolean {
    return scope(() => broadcast(tensor([decision ? 1 : 0], { dtype: 'float32', device: this.commDevice }), 0).item() === 1);
  }

  /**
   * Every rank's random generators (its CPU generator, and its CUDA device's when it trains on
   * one), in rank order, for rank 0 to save in the checkpoint (rng_state_<rank>.pt).
   */
  gatherRngStates(device: string): Record<string, Uint8Array>[] {
    const states: Record<string, Uint8Array>[] = Array.from({ length: this.worldSize }, () => ({}));
    const sources: [string, string | undefined][] = [['cpu', undefined]];
    if (device.startsWith('cuda')) sources.push(['cuda', device]);
    for (const [key, generator] of sources) {
      const all = scope(() => this.gather(tensor([...getRngState(generator)], { dtype: 'uint8' }), 'uint8'));
      // The CUDA generator is saved under its device's name, as rng_state.pt does: 'cuda:<index>'.
      const name = key === 'cpu' ? 'cpu' : `cuda:${generator === 'cuda' ? 0 : Number(generator!.split(':')[1] ?? 0)}`;
      all.forEach((bytes, r) => (states[r][name] = Uint8Array.from(bytes)));
    }
    return states;
  }

  barrier(): void {
    barrier();
  }

  /** allGather of a 1-d tensor as one plain array per rank, read on the host. */
  private gather(t: Tensor, kind: 'int64' | 'uint8'): number[][] {
    return allGather(t.to(this.commDevice)).map((g) => {
      const data = g.to('cpu').data();
      return kind === 'int64' ? [...(data as BigInt64Array)].map(Number) : [...(data as Uint8Array)];
    });
  }
}

/** "name [shape] dtype" of every parameter and buffer, in the model's order. */
function describeTensors(model: Module): string[] {
  return [
    ...model.namedParameters().map(([n, p]) => `parameter '${n}' [${p.shape.join(', ')}] ${p.dtype}`),
    ...model.namedBuffers().map(([n, b]) => `buffer '${n}' [${b.shape.join(', ')}] ${b.dtype}`),
  ];
}

/** UTF-8 bytes cut or zero-padded to a fixed length, so that every rank gathers the same shape. */
function encodeFixed(text: string): Uint8Array {
  const out = new Uint8Array(DESCRIPTION_BYTES);
  out.set(Buffer.from(text, 'utf8').subarray(0, DESCRIPTION_BYTES));
  return out;
}
