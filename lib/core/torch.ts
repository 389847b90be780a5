// The `torch` namespace of the public API (DESIGN.md section 3), assembled from lib/core.
import './tensor-pointwise.js';
import './tensor-math.js';
import './tensor-reduction.js';
import './tensor-shape.js';
import './tensor-indexing.js';
import { autograd, enableGrad, isGradEnabled, noGrad, setGradEnabled } from './autograd.js';
import * as creation from './creation.js';
import { cuda, defaultDevice } from './device.js';
import { DTYPES, isFloatingPoint } from './dtype.js';
import { OutOfMemoryError, TorchError } from './errors.js';
import { printOptions } from './format.js';
import { broadcastTensors, cat, functionForms, stack, where } from './functions.js';
import { ops } from './ops.js';
import { profiler } from './profiler.js';
import * as runtime from './runtime.js';
import { dispose, keep, leaks, scope, setDebugScopes } from './scope.js';
import { Tensor } from './tensor.js';
import { slice } from './tensor-indexing.js';

export const torch = {
  ...functionForms,
  ...creation,
  ...runtime,
  Tensor,
  cat,
  stack,
  where,
  broadcastTensors,
  slice,
  autograd,
  noGrad,
  enableGrad,
  isGradEnabled,
  setGradEnabled,
  scope,
  keep,
  dispose,
  setDebugScopes,
  leaks,
  cuda,
  defaultDevice,
  ops,
  dtypes: DTYPES,
  isFloatingPoint,
  printOptions,
  profiler,
  TorchError,
  OutOfMemoryError,
};

export type Torch = typeof torch;
