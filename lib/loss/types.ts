// The LossStrategy contract. A strategy returns the SUMMED loss over the items it covers and
// how many items that is, so the engine can normalise over a whole accumulated batch (divide
// the gradients by the window's total items) instead of averaging each micro-batch.
import { type Tensor } from '../core/tensor.js';
import { type TaskSpec } from '../task/spec.js';

/** A collated batch: field name -> Tensor (or other values a collate function added). */
export type Batch = Record<string, unknown>;

/**
 * What a model adapter returns: logits for classification and language modelling; embeddings
 * for contrastive tasks (imageEmbeds/textEmbeds and an optional logitScale for CLIP-style
 * pairs, or views: [z1, z2] for SimCLR-style two views); anything else a custom strategy reads.
 */
export interface ModelOutput {
  logits?: Tensor;
  imageEmbeds?: Tensor;
  textEmbeds?: Tensor;
  logitScale?: Tensor;
  views?: Tensor[];
  embeddings?: Tensor;
  [key: string]: unknown;
}

export interface LossResult {
  /** The loss summed over numItems items (a 0-d tensor with a graph to backward through). */
  loss: Tensor;
  /**
   * How many items the sum covers: non-ignored tokens, samples or pairs (TaskSpec.normalizeBy).
   * A number when the shapes tell (samples, pairs), a 0-d device tensor when it must be counted
   * on the device (tokens): the engine adds it up there, with no host read per step.
   */
  numItems: number | Tensor;
  /** Extra values to log (e.g. the temperature, per-term losses): numbers, or 0-d tensors left on the device. */
  logs?: Record<string, number | Tensor>;
}

/** numItems as a number (a host read when it is a device tensor). */
export function itemsOf(numItems: number | Tensor): number {
  return typeof numItems === 'number' ? numItems : numItems.item();
}

export interface LossStrategy {
  readonly name: string;
  /**
   * Whether the loss of a batch depends on the batch as a whole (in-batch negatives, batch
   * statistics): under gradient accumulation k micro-batches then optimise a different
   * objective than one large batch, and the engine warns.
   */
  readonly usesWholeBatch?: boolean;
  computeLoss(output: ModelOutput, batch: Batch, task: TaskSpec): LossResult;
}

export type LossFactory = (options: Record<string, unknown>) => LossStrategy;
