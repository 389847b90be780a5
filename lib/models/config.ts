// Model configs are external input (they come from users' scripts and config files), so each
// model parses its config with a zod schema: defaults filled in one place, unknown keys (a typo
// such as `nHeads`) refused, and every problem reported at once with the field it concerns.
import { z } from 'zod';

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

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function show(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
}

/** Parses `input` with `schema`, throwing a ModelConfigError that names each bad field and what it held. */
export function parseConfig<S extends z.ZodType>(model: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ModelConfigError(model, result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const value = valueAt(input, issue.path);
    // zod's own message already says what was missing or of which type; add the value itself
    const got = issue.code === 'unrecognized_keys' || issue.code === 'custom' || value === undefined ? '' : ` (got ${show(value)})`;
    return { path, message: `${issue.message}${got}` };
  }));
}

/** Adds a custom issue at `path` when `ok` is false (for cross-field rules in superRefine). */
export function rule(ctx: z.RefinementCtx, ok: boolean, path: (string | number)[], message: string): void {
  if (!ok) ctx.addIssue({ code: 'custom', path, message });
}
