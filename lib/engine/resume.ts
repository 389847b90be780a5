// Resuming a run from a checkpoint: the model, optimizer, schedule, scaler, RNG, TrainerState
// (with it the data position) and callback states, so that the run goes on exactly as if it
// had not stopped. Mismatches are errors that say what differs; config changes that alter the
// run are named in a warning; weightsOnly takes just the weights (fine-tuning from a checkpoint).
import { type CheckpointContents } from '../checkpoint/contents.js';
import { CheckpointError, findResumePoint, loadCheckpoint } from '../checkpoint/manager.js';
import { restoreRng } from '../checkpoint/contents.js';
import { dispose } from '../core/scope.js';
import { type TrainerCore } from './trainer-core.js';
import { type TrainerState } from './trainer-state.js';

/** Config fields whose change makes a resumed run differ from the saved one. */
const RUN_SHAPING = ['gradientAccumulationSteps', 'maxSteps', 'maxEpochs', 'precision', 'seed', 'maxGradNorm', 'optimizer', 'schedule'] as const;

function changedFields(saved: Record<string, unknown>, now: Record<string, unknown>): string[] {
  return RUN_SHAPING.filter((k) => JSON.stringify(saved?.[k]) !== JSON.stringify(now[k]))
    .map((k) => `${k} (${JSON.stringify(saved?.[k]) ?? 'unset'} -> ${JSON.stringify(now[k]) ?? 'unset'})`);
}

/**
 * Data-parallel runs: on the world size that saved it, each rank takes its own generators
 * (rng_state_<rank>.pt; rank 0's are rng_state.pt, restored already). On another world size the
 * weights, optimizer and position are restored, but the shards (and so the data order) change.
 */
function restoreRankRng(c: TrainerCore, folder: string, saved: CheckpointContents): void {
  const savedWorld = saved.trainer.worldSize ?? 1;
  const world = c.ddp?.worldSize ?? 1;
  const rank = c.ddp?.rank ?? 0;
  if (savedWorld !== world) {
    if (rank === 0) {
      process.emitWarning(`resuming ${folder}, saved by ${savedWorld} data-parallel rank(s), on ${world}: the weights, optimizer and position are restored, ` +
        'but each rank\'s share of the data changes, so the data order (and dropout\'s random numbers) will differ from the saved run', 'TrainerWarning');
    }
    return;
  }
  if (rank === 0) return;
  const own = saved.rankRng[rank];
  if (own) restoreRng(own);
  else process.emitWarning(`resuming ${folder}: it has no random generator state for rank ${rank} (rng_state_${rank}.pt); this rank goes on with rank 0's`, 'TrainerWarning');
}

/**
 * Restores a checkpoint into the Trainer's parts. Returns the folder, or null when 'latest'
 * found none (a fresh start, said in a warning).
 */
export function resume(c: TrainerCore, spec: string, options: { weightsOnly?: boolean } = {}): string | null {
  const point = findResumePoint(spec, c.checkpoints?.options.dir);
  if (!point) {
    process.emitWarning(`resumeFrom 'latest': no valid checkpoint under ${c.checkpoints!.options.dir}; starting a fresh run`, 'TrainerWarning');
    return null;
  }
  for (const s of point.skipped) process.emitWarning(`resumeFrom: skipped ${s.path}: ${s.problem}`, 'TrainerWarning');
  const saved: CheckpointContents = loadCheckpoint(point.folder);
  try {
    const savedTask = JSON.stringify(saved.trainer.task), task = JSON.stringify(c.task);
    if (savedTask !== task && !options.weightsOnly) {
      throw new CheckpointError(`checkpoint ${point.folder} was trained on another TaskSpec:\n  saved: ${savedTask}\n  now:   ${task}\n  give the Trainer the same task, or load only the weights (fit({ resumeFrom, weightsOnly: true }) or checkpoint.loadWeights)`);
    }
    try {
      c.model.loadStateDict(saved.model);
    } catch (err) {
      throw new CheckpointError(`checkpoint ${point.folder} does not fit this model: ${(err as Error).message}`);
    }
    if (options.weightsOnly) {
      c.checkpoints?.markResumedFrom(point.folder);
      return point.folder;
    }
    // optimizer.pt does not say which optimizer wrote it (PyTorch's layout), and another one
    // may load it without complaint (SGD takes AdamW's state): the saved config says.
    const savedOptimizer = (saved.trainer.config as { optimizer?: { name?: string } } | undefined)?.optimizer?.name;
    if (savedOptimizer !== undefined && savedOptimizer !== c.config.optimizer.name) {
      throw new CheckpointError(`checkpoint ${point.folder} holds the state of the '${savedOptimizer}' optimizer; this run's is '${c.config.optimizer.name}'; use the same optimizer (config.optimizer.name), or resume the weights only (weightsOnly: true)`);
    }
    try {
      c.optimizer.loadStateDict(saved.optimizer);
    } catch (err) {
      throw new CheckpointError(`checkpoint ${point.folder}: its optimizer state does not fit this optimizer (${(err as Error).message}); use the same optimizer and parameter groups, or resume the weights only (weightsOnly: true)`);
    }
    if (c.scheduler && saved.scheduler) c.scheduler.loadStateDict(saved.scheduler);
    else if (c.scheduler || saved.scheduler) throw new CheckpointError(`checkpoint ${point.folder} ${saved.scheduler ? 'has' : 'has no'} learning-rate schedule but this run ${c.scheduler ? 'has' : 'has none'}; use the same schedule, or weightsOnly: true`);
    if (c.scaler?.isEnabled() && saved.scaler) c.scaler.loadStateDict(saved.scaler);
    const changes = changedFields(saved.trainer.config as Record<string, unknown>, c.config as unknown as Record<string, unknown>);
    const savedData = saved.trainer.data, data = c.dataOrder();
    for (const key of ['sampler', 'seed', 'batches'] as const) {
      if (savedData && savedData[key] !== data[key]) changes.push(`the training data's ${key === 'batches' ? 'length in batches' : key} (${JSON.stringify(savedData[key])} -> ${JSON.stringify(data[key])}: the resumed epoch will not continue the saved order)`);
    }
    if (changes.length) process.emitWarning(`resuming ${point.folder} with a changed config: ${changes.join(', ')}; the resumed run will differ from the saved one`, 'TrainerWarning');
    c.loadStateDict({ state: saved.trainer.state as TrainerState, callbacks: saved.trainer.callbacks ?? {} });
    Object.assign(c.logs, saved.trainer.logs ?? {});
    restoreRng(saved.rng);
    restoreRankRng(c, point.folder, saved);
    c.checkpoints?.markResumedFrom(point.folder);
    return point.folder;
  } finally {
    dispose([saved.model, saved.optimizer]);
  }
}
