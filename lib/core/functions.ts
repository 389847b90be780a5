// The torch.* function forms: torch.add(x, y) is x.add(y), and so on for every method listed
// here; plus the ops that take several tensors (cat, stack, where, ...).
import { native } from './addon.js';
import { type TensorHandle } from './native.js';
import { type Scalar, Tensor, describe, handleOf, wrap } from './tensor.js';
import { whereOp } from './tensor-indexing.js';

/** Methods that also exist as torch.<name>(input, ...rest). */
export const FUNCTION_FORMS = [
  'add', 'sub', 'mul', 'div', 'pow', 'rsub', 'neg', 'abs', 'exp', 'exp2', 'expm1', 'log', 'log1p', 'log2', 'log10',
  'sqrt', 'rsqrt', 'square', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'sinh', 'cosh', 'tanh',
  'sigmoid', 'relu', 'silu', 'erf', 'erfinv', 'sign', 'floor', 'ceil', 'round', 'trunc', 'frac', 'reciprocal',
  'remainder', 'fmod', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'equal', 'allclose', 'logicalAnd', 'logicalOr',
  'logicalXor', 'logicalNot', 'bitwiseAnd', 'bitwiseOr', 'bitwiseXor', 'bitwiseNot', 'maximum', 'minimum',
  'isnan', 'isinf', 'isfinite', 'nanToNum', 'clamp', 'lerp', 'addcmul', 'addcdiv', 'matmul', 'mm', 'bmm', 'baddbmm', 'addmm',
  'outer', 'dot', 'softmax', 'logSoftmax', 'sum', 'mean', 'prod', 'max', 'min', 'amax', 'amin', 'argmax',
  'argmin', 'std', 'var', 'norm', 'logsumexp', 'cumsum', 'cumprod', 'topk', 'sort', 'argsort', 'all', 'any',
  'countNonzero', 'reshape', 'flatten', 'unflatten', 'squeeze', 'unsqueeze', 'permute', 'transpose', 't',
  'movedim', 'broadcastTo', 'repeatInterleave', 'flip', 'roll', 'split', 'chunk', 'unbind', 'narrow', 'select',
  'clone', 'detach', 'tril', 'triu', 'diag', 'gather', 'scatter', 'scatterAdd', 'scatterReduce', 'indexSelect',
  'indexAdd', 'maskedFill', 'maskedSelect', 'nonzero', 'bernoulli', 'multinomial', 'pad',
] as const;

type FormName = (typeof FUNCTION_FORMS)[number];
type Form<K extends FormName> = Tensor[K] extends (...args: infer A) => infer R ? (input: Tensor, ...args: A) => R : never;
export type FunctionForms = { [K in FormName]: Form<K> };

export const functionForms = {} as FunctionForms;
for (const name of FUNCTION_FORMS) {
  (functionForms as Record<string, unknown>)[name] = function (input: Tensor, ...args: unknown[]) {
    if (!(input instanceof Tensor)) throw new TypeError(`torch.${name}: input must be a Tensor, got ${describe(input)}`);
    return (input[name] as (...a: unknown[]) => unknown)(...args);
  };
}

function handles(tensors: Tensor[], fn: string): TensorHandle[] {
  if (!Array.isArray(tensors)) throw new TypeError(`${fn}: expected an array of Tensors, got ${describe(tensors)}`);
  return tensors.map((t, i) => handleOf(t, fn, `tensors[${i}]`));
}

/** Joins tensors along an existing dim. */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  return wrap(native.cat(handles(tensors, 'cat'), dim));
}

/** Joins tensors along a new dim. */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return wrap(native.stack(handles(tensors, 'stack'), dim));
}

/** x where condition holds, else y (either may be a number). */
export function where(condition: Tensor, x: Tensor | Scalar, y: Tensor | Scalar): Tensor {
  return whereOp(condition, x, y);
}

/** Tensors broadcast to one shape (views). */
export function broadcastTensors(...tensors: Tensor[]): Tensor[] {
  let shape: number[] = [];
  for (const t of tensors) {
    const s = t.shape;
    const n = Math.max(shape.length, s.length);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = shape[shape.length - n + i] ?? 1, b = s[s.length - n + i] ?? 1;
      if (a !== b && a !== 1 && b !== 1) throw new RangeError(`broadcastTensors: shapes [${shape}] and [${s}] do not broadcast (dimension ${i}: ${a} vs ${b})`);
      out.push(a === 1 ? b : a);
    }
    shape = out;
  }
  return tensors.map((t) => t.broadcastTo(shape));
}


/** libm's erf of a JS number (JavaScript has no Math.erf; Python's math.erf is libm's too). */
export function scalarErf(x: number): number {
  return native.scalarErf(x);
}
