// Model configs are external input (they come from users' scripts and config files), so each
// model parses its config with a zod schema: defaults filled in one place, unknown keys (a typo
// such as `nHeads`) refused, and every problem reported at once with the field it concerns.
import { z } from 'zod';
import { parseOrThrow } from '../core/validation.js';

/** A model config that failed validation; `issues` lists each problem with its field path. */
export class ModelConfigError extends Error {
  constructor(readonly model: string, readonly issues: { path: string; message: string }[]) {
    super(`${model} config is invalid:\n  ${issues.map((i) => `${i.path || '(config)'}: ${i.message}`).join('\n  ')}`);
    this.name = 'ModelConfigError';
  }
}

export const positiveInt = () => z.int().positive();
export const nonNegativeInt = () => z.int().nonnegative();
/** A dropout probability in [0, 1). */
export const probability = () => z.number().min(0).lt(1);

/** Parses `input` with `schema`, throwing a ModelConfigError that names each bad field and what it held. */
export function parseConfig<S extends z.ZodType>(model: string, schema: S, input: unknown): z.output<S> {
  return parseOrThrow(schema, input, (issues) => new ModelConfigError(model, issues.map((i) => ({
    path: i.field === '(config)' ? '' : i.field,
    message: i.text.slice(i.field.length + 2),
  }))), { root: '(config)' });
}

/** Adds a custom issue at `path` when `ok` is false (for cross-field rules in superRefine). */
export function rule(ctx: z.RefinementCtx, ok: boolean, path: (string | number)[], message: string): void {
  if (!ok) ctx.addIssue({ code: 'custom', path, message });
}
