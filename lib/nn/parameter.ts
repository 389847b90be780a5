// nn.Parameter: a Tensor that a Module owns and optimizers update. Like torch.nn.Parameter it
// shares storage with the tensor it was made from, is a leaf that requires grad by default, and
// is never freed by a torch.scope (only by dispose() or the GC).
import { native } from '../core/addon.js';
import { trackUnscoped } from '../core/scope.js';
import { Tensor, describe } from '../core/tensor.js';

export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw new TypeError(`Parameter: data must be a Tensor, got ${describe(data)}`);
    super(native.detach(data._h));
    native.requiresGrad_(this._h, requiresGrad);
    trackUnscoped(this);
  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}
