// nn.Parameter: a Tensor that a Module owns and optimizers update. Like torch.nn.Parameter it
// shares storage with the tensor it was made from, is a leaf that requires grad by default, and
// is never freed by a torch.scope (only by dispose() or the GC).
// It lives in lib/core because it is made from a native handle; lib/nn/parameter.ts is its
// public home.
import { native } from './addon.js';
import { type TensorHandle } from './native.js';
import { trackUnscoped } from './scope.js';
import { Tensor, describe } from './tensor.js';

const ADOPT = Symbol('adopt');

export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad?: boolean);
  /** @internal */
  constructor(data: typeof ADOPT, handle: TensorHandle);
  constructor(data: Tensor | typeof ADOPT, arg: boolean | TensorHandle = true) {
    if (data === ADOPT) {
      super(arg as TensorHandle);
    } else {
      if (!(data instanceof Tensor)) throw new TypeError(`Parameter: data must be a Tensor, got ${describe(data)}`);
      super(native.detach(data._h));
      native.requiresGrad_(this._h, arg as boolean);
    }
    trackUnscoped(this);
  }

  /**
   * @internal A Parameter over an existing native handle (taking ownership of it), with no new
   * tensor in between: a TorchScript module's parameters must be the very tensors its forward
   * uses, or their .grad would stay empty.
   */
  static adopt(handle: TensorHandle): Parameter {
    return new Parameter(ADOPT, handle);
  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}
