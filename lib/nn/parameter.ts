// nn.Parameter: a Tensor that a Module owns and optimizers update (defined in lib/core, next to
// Tensor, because it is made from a native handle).
export { Parameter } from '../core/parameter.js';
