// TensorDataset: row i of each tensor, as torch.utils.data.TensorDataset. Kept apart from
// dataset.ts because it needs the tensor core, which worker threads never load: a
// TensorDataset only works with numWorkers 0 (tensors cannot cross threads).
import { Tensor } from '../core/tensor.js';
import { checkIndex, type MapDataset } from './dataset.js';

export class TensorDataset implements MapDataset<Tensor[]> {
  readonly tensors: Tensor[];

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new TypeError('TensorDataset: give at least one tensor');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: argument ${i} is not a Tensor`);
      if (t.dim() === 0) throw new RangeError(`TensorDataset: tensor ${i} is 0-d; each tensor needs a first dimension to index`);
    });
    const n = tensors[0]!.shape[0]!;
    tensors.forEach((t, i) => {
      if (t.shape[0] !== n) {
        throw new RangeError(`TensorDataset: size mismatch between tensors: tensor 0 has ${n} rows, tensor ${i} has ${t.shape[0]} (shape [${t.shape.join(', ')}])`);
      }
    });
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }

  /** Row `index` of every tensor (views; they belong to the caller's tensor scope). */
  get(index: number): Tensor[] {
    checkIndex(index, this.length, 'TensorDataset');
    return this.tensors.map((t) => t.index(index));
  }
}
