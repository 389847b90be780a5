// Autograd: Tensor's requiresGrad / grad / backward, torch.autograd.grad, and grad-mode scopes.
import { native } from './addon.js';
import { type TensorHandle } from './native.js';
import { Tensor, describe, handleOf, wrap, wrapOptional } from './tensor.js';

declare module './tensor.js' {
  interface Tensor {
    /** Whether autograd records operations on this tensor. Settable on leaves. */
    requiresGrad: boolean;
    /** Sets requiresGrad (default true) and returns this tensor. */
    requiresGrad_(requiresGrad?: boolean): this;
    /** The gradient accumulated by backward(), or null. Assign a Tensor or null. */
    grad: Tensor | null;
    readonly isLeaf: boolean;
    /** The name of the autograd node that made this tensor (e.g. 'AddBackward0'), or null for leaves. */
    readonly gradFn: string | null;
    /** Keeps .grad for this non-leaf tensor during backward(). */
    retainGrad(): void;
    readonly retainsGrad: boolean;
    /** Computes gradients of this tensor with respect to the graph's leaves. */
    backward(gradient?: Tensor | null, options?: { retainGraph?: boolean; createGraph?: boolean }): void;
  }
}

const proto = Tensor.prototype;

Object.defineProperties(proto, {
  requiresGrad: {
    get(this: Tensor) {
      return native.requiresGrad(this._h);
    },
    set(this: Tensor, value: boolean) {
      if (typeof value !== 'boolean') throw new TypeError(`requiresGrad must be set to a boolean, got ${describe(value)}`);
      native.requiresGrad_(this._h, value);
    },
  },
  grad: {
    get(this: Tensor) {
      return wrapOptional(native.grad(this._h));
    },
    set(this: Tensor, value: Tensor | null) {
      native.setGrad(this._h, value === null || value === undefined ? -1 : handleOf(value, 'grad', 'the assigned gradient'));
    },
  },
  isLeaf: {
    get(this: Tensor) {
      return native.isLeaf(this._h);
    },
  },
  gradFn: {
    get(this: Tensor) {
      const name: string | undefined = native.gradFn(this._h);
      return name === undefined ? null : (name.split('::').pop() ?? name);
    },
  },
  retainsGrad: {
    get(this: Tensor) {
      return native.retainsGrad(this._h);
    },
  },
});

proto.requiresGrad_ = function requiresGrad_(this: Tensor, requiresGrad = true) {
  native.requiresGrad_(this._h, requiresGrad);
  return this;
};

proto.retainGrad = function retainGrad(this: Tensor) {
  native.retainGrad(this._h);
};

proto.backward = function backward(this: Tensor, gradient?: Tensor | null, options = {}) {
  const { retainGraph, createGraph = false } = options as { retainGraph?: boolean; createGraph?: boolean };
  const g = gradient == null ? -1 : handleOf(gradient, 'backward', 'gradient');
  native.backward(this._h, g, retainGraph, createGraph);
};

export interface GradOptions {
  /** Gradients of the outputs (needed for non-scalar outputs); null entries mean ones for scalars. */
  gradOutputs?: (Tensor | null)[];
  /** Keep the graph for another backward (defaults to createGraph). */
  retainGraph?: boolean;
  /** Build a graph of the gradient computation itself (for gradient penalties). */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

function tensorList(value: Tensor | Tensor[], fn: string, what: string): TensorHandle[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((t, i) => handleOf(t, fn, `${what}[${i}]`));
}

/** torch.autograd.grad: the gradients of outputs with respect to inputs, without touching .grad. */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = tensorList(outputs, 'autograd.grad', 'outputs');
  const ins = tensorList(inputs, 'autograd.grad', 'inputs');
  const gradOutputs = options.gradOutputs?.map((g, i) => (g == null ? null : handleOf(g, 'autograd.grad', `gradOutputs[${i}]`)));
  const handles = native.autogradGrad(outs, ins, gradOutputs, options.retainGraph, options.createGraph ?? false, options.allowUnused ?? false);
  return handles.map((h) => (h === -1 ? null : wrap(h)));
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`expected a function to run, got ${describe(fn)}`);
  const previous: boolean = native.isGradEnabled();
  native.setGradEnabled(enabled);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    native.setGradEnabled(previous);
    throw err;
  }
  if (result instanceof Promise) {
    // Grad mode is per thread in libtorch: during this promise's awaits, other code on the
    // thread sees it too. Keep async bodies short or set the mode inside each step.
    return result.finally(() => native.setGradEnabled(previous)) as T;
  }
  native.setGradEnabled(previous);
  return result;
}

/** Runs fn with gradient recording off (torch.no_grad()). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs fn with gradient recording on (torch.enable_grad()), e.g. inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

export function setGradEnabled(enabled: boolean): void {
  if (typeof enabled !== 'boolean') throw new TypeError(`setGradEnabled: expected a boolean, got ${describe(enabled)}`);
  native.setGradEnabled(enabled);
}

export const autograd = { grad };

// ---- activation checkpointing: the autograd node (policy lives in lib/nn/checkpoint.ts) ----

/** Recomputes a checkpointed block in backward; runs with the detached inputs and the output's gradient. */
export type Recompute = (gradOutput: Tensor, detachedInputs: Tensor[]) => void;

const recomputes = new Map<number, { run: Recompute; autocast: AutocastSnapshot }>();
const AUTOCAST_DEVICES = ['cpu', 'cuda'] as const;
type AutocastSnapshot = ReturnType<typeof native.autocastGet>[];

/** Runs fn under the autocast state the forward ran under (the backward usually runs outside autocast). */
function withAutocast(snapshot: AutocastSnapshot, fn: () => void): void {
  const previous = AUTOCAST_DEVICES.map((d) => native.autocastGet(d));
  AUTOCAST_DEVICES.forEach((d, i) => native.autocastEnter(d, snapshot[i].enabled, snapshot[i].dtype, snapshot[i].cacheEnabled));
  try {
    fn();
  } finally {
    AUTOCAST_DEVICES.forEach((d, i) => native.autocastExit(d, previous[i].enabled, previous[i].dtype, previous[i].cacheEnabled));
  }
}
let nextRecomputeId = 1;
let dispatcherSet = false;

function dispatchRecompute(id: number, gradOutput: TensorHandle, inputs: TensorHandle[]): void {
  const g = wrap(gradOutput);
  const xs = inputs.map((h) => wrap(h));
  try {
    const entry = recomputes.get(id);
    if (!entry) throw new Error(`activation checkpoint ${id}: its recompute function is gone (backward through the graph a second time needs retainGraph: true)`);
    withAutocast(entry.autocast, () => withGradMode(true, () => entry.run(g, xs)));
  } finally {
    g.dispose();
    for (const x of xs) x.dispose();
  }
}

/**
 * Gives `output` (computed under noGrad from `inputs`) a grad_fn that, in backward, calls
 * `recompute(gradOutput, detachedInputs)`; recompute must run the block again with grad on and
 * call backward on it (parameter grads accumulate as usual, the detached inputs' .grad become
 * the inputs' gradients). It runs with grad on and under the autocast state of this call. Returns the attached output (a new Tensor sharing output's storage).
 */
export function attachRecompute(output: Tensor, inputs: readonly Tensor[], recompute: Recompute): Tensor {
  if (!dispatcherSet) {
    native.checkpointSetDispatcher(dispatchRecompute);
    dispatcherSet = true;
  }
  for (const id of native.checkpointReleased()) recomputes.delete(id);
  const id = nextRecomputeId++;
  const handle = native.checkpointAttach(handleOf(output, 'checkpoint', 'output'), inputs.map((t, i) => handleOf(t, 'checkpoint', `inputs[${i}]`)), id);
  if (native.requiresGrad(handle)) recomputes.set(id, { run: recompute, autocast: AUTOCAST_DEVICES.map((d) => native.autocastGet(d)) });
  return wrap(handle);
}
