// torchtrain's losses (`losses` in the public API): the LossStrategy contract, the built-in
// strategies, and the registry that maps TaskSpec.loss.name to a strategy.
import { registerBuiltins } from './builtins.js';
import { LossRegistry } from './registry.js';
import { type TaskSpec } from '../task/spec.js';
import { type LossFactory, type LossStrategy } from './types.js';

/** The process-wide registry behind losses.register/get/list and lossForTask. */
export const registry = new LossRegistry();
registerBuiltins(registry);

/** Registers a loss factory by name ({ replace: true } to replace an existing one). */
export function register(name: string, factory: LossFactory, options?: { replace?: boolean }): void {
  registry.register(name, factory, options);
}

/** Builds a registered loss; an unknown name is an UnknownLossError listing the known ones. */
export function get(name: string, options?: Record<string, unknown>): LossStrategy {
  return registry.get(name, options);
}

/** The registered loss names, sorted. */
export function list(): string[] {
  return registry.list();
}

/** Removes a registered loss (built-ins included); returns whether there was one. */
export function unregister(name: string): boolean {
  return registry.unregister(name);
}

/** The TaskSpec's loss: task.loss.name (its task type's default unless set) with task.loss.options. */
export function lossForTask(task: TaskSpec): LossStrategy {
  return registry.forTask(task);
}

export type { Batch, LossFactory, LossResult, LossStrategy, ModelOutput } from './types.js';
export { itemsOf } from './types.js';
export { LossRegistry, UnknownLossError } from './registry.js';
export { LossOptionsError, parseLossOptions } from './options.js';
export { LossInputError } from './inputs.js';
export { BUILTIN_LOSSES } from './builtins.js';
export { CausalLMLoss, MaskedLMLoss, TokenClassificationLoss } from './token.js';
export { SequenceClassificationLoss, ImageClassificationLoss, MultilabelLoss } from './classification.js';
export { MSELoss, L1Loss, HuberLoss, SmoothL1Loss } from './regression.js';
export { CLIPLoss } from './contrastive/clip.js';
export { NTXentLoss } from './contrastive/simclr.js';
export { SupConLoss } from './contrastive/supcon.js';
export { VICRegLoss } from './contrastive/vicreg.js';
export { BarlowTwinsLoss } from './contrastive/barlow-twins.js';
