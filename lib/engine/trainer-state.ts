// TrainerState: every counter of a run in one plain, JSON-serialisable object, and the only
// functions that change it. Checkpoints save it as trainer_state.json and a resumed run starts
// from it, so nothing that decides where a run is may live anywhere else. (What belongs to a
// callback — EarlyStopping's patience counter, a monitor's history — lives in that callback's
// stateDict(); the optimizer, schedule and scaler have their own state dicts.)
import { z } from 'zod';
import { formatZodError } from '../core/validation.js';

export interface TrainerState {
  version: 1;
  /** Optimizer steps taken in the whole run. */
  step: number;
  /** The epoch in progress (0-based); when fit() has finished, the number of epochs completed. */
  epoch: number;
  /** Micro-batches of the current epoch already trained on: where a resumed epoch continues. */
  batchInEpoch: number;
  /** Micro-batches of the accumulation window in progress (0 at a window boundary). */
  windowMicroBatches: number;
  /** Micro-batches trained on in the whole run. */
  microBatches: number;
  /** Samples (batch rows) trained on. */
  samplesSeen: number;
  /** Input tokens trained on (text tasks: the elements of the input ids; 0 for other modalities). */
  tokensSeen: number;
  /**
   * Loss items trained on (non-ignored tokens, samples or pairs: TaskSpec.normalizeBy), as of
   * the last read of the on-device counters (logging intervals, epoch ends).
   */
  itemsSeen: number;
  /** The best validation value of `best.metric` so far and the step it was reached at. */
  best: { metric: string; mode: 'min' | 'max'; value: number; step: number } | null;
}

export function initialTrainerState(): TrainerState {
  return { version: 1, step: 0, epoch: 0, batchInEpoch: 0, windowMicroBatches: 0, microBatches: 0, samplesSeen: 0, tokensSeen: 0, itemsSeen: 0, best: null };
}

/** One micro-batch trained on: rows and input tokens counted from its shapes (no device read). */
export function recordMicroBatch(state: TrainerState, rows: number, tokens: number): void {
  state.batchInEpoch += 1;
  state.windowMicroBatches += 1;
  state.microBatches += 1;
  state.samplesSeen += rows;
  state.tokensSeen += tokens;
}

/** One optimizer update: the window closes. */
export function recordOptimizerStep(state: TrainerState): void {
  state.step += 1;
  state.windowMicroBatches = 0;
}

/**
 * The run stopped inside an accumulation window: its gradients were dropped, so the position
 * goes back to the window's start and a resumed run trains on those micro-batches again.
 */
export function discardWindow(state: TrainerState): void {
  state.batchInEpoch -= state.windowMicroBatches;
  state.microBatches -= state.windowMicroBatches;
  state.windowMicroBatches = 0;
}

/** The epoch's data ran out (or the run stopped at its end): the next one starts from batch 0. */
export function recordEpochEnd(state: TrainerState): void {
  state.epoch += 1;
  state.batchInEpoch = 0;
  state.windowMicroBatches = 0;
}

/** The loss items read back from the device at a sync point. */
export function recordItemsSeen(state: TrainerState, items: number): void {
  state.itemsSeen = items;
}

/** A validation result: keeps the best value of the monitored metric. Returns whether it improved. */
export function recordValidation(state: TrainerState, metric: string, mode: 'min' | 'max', value: number | undefined): boolean {
  if (value === undefined || !Number.isFinite(value)) return false;
  const b = state.best;
  const better = !b || b.metric !== metric || (mode === 'min' ? value < b.value : value > b.value);
  if (better) state.best = { metric, mode, value, step: state.step };
  return better;
}

const count = z.number().int().min(0);
const trainerStateSchema = z.object({
  version: z.literal(1),
  step: count,
  epoch: count,
  batchInEpoch: count,
  windowMicroBatches: count,
  microBatches: count,
  samplesSeen: count,
  tokensSeen: count,
  itemsSeen: z.number().min(0),
  best: z.object({ metric: z.string(), mode: z.enum(['min', 'max']), value: z.number(), step: count }).strict().nullable(),
}).strict();

/** Checks a saved state (e.g. trainer_state.json) and returns a copy the Trainer can adopt. */
export function parseTrainerState(input: unknown, where = 'trainer state'): TrainerState {
  const r = trainerStateSchema.safeParse(input);
  if (!r.success) {
    throw new TypeError(`${where} is not a TrainerState:\n  ${formatZodError(r.error, input, { root: '(state)' }).join('\n  ')}\n  (save one with trainer.stateDict())`);
  }
  return structuredClone(r.data) as TrainerState;
}
