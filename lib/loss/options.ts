// Loss options come from users' scripts and from TaskSpec.loss.options in config files, so
// each strategy checks its options with a zod schema when it is built (by losses.get or
// lossForTask), not at the first training step: a typo such as `labelSmothing` or a negative
// temperature fails before any data is loaded, naming the loss, the option and the fix.
import { z } from 'zod';
import { describeValue, formatZodError } from '../core/validation.js';

/** Options a loss refused; `issues` lists each problem with the option it concerns. */
export class LossOptionsError extends Error {
  constructor(readonly loss: string, readonly issues: string[]) {
    super(`options of loss '${loss}' are invalid:\n  ${issues.join('\n  ')}`);
    this.name = 'LossOptionsError';
  }
}

/**
 * Parses `options` with a strict schema (unknown keys are refused, since a misspelt option
 * would otherwise be silently ignored), throwing a LossOptionsError that names each bad option,
 * what it held, and the options the loss does know.
 */
export function parseLossOptions<S extends z.ZodObject>(loss: string, schema: S, options: unknown): z.output<S> {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new LossOptionsError(loss, [`options must be an object such as { ${Object.keys(schema.shape)[0] ?? ''}: ... }; given ${describeValue(options)}`]);
  }
  const parsed = schema.strict().safeParse(options);
  if (parsed.success) return parsed.data as z.output<S>;
  throw new LossOptionsError(loss, formatZodError(parsed.error, options, { root: '(options)', known: { owner: `'${loss}'`, keys: Object.keys(schema.shape) } }));
}

// Option shapes several losses share, so that the same option means the same thing everywhere.

/** Label smoothing epsilon in [0, 1), as F.cross_entropy's label_smoothing. */
export const labelSmoothing = () => z.number().min(0).lt(1).default(0);
/** One positive weight per class, as F.cross_entropy's weight. */
export const classWeights = () => z.array(z.number().nonnegative()).min(1).optional();
/** A softmax temperature: similarities are divided by it. */
export const temperature = () => z.number().positive();
