// TensorDataset: row i of each tensor, as torch.utils.data.TensorDataset. Kept apart from
// dataset.ts because it needs the tensor core, which worker threads never load: a
// TensorDataset only works with numWorkers 0 (tensors cannot cross threads).
//
// Rows are tuples (PyTorch's form: new TensorDataset(x, y)) or, so that batches carry the field
// names a TaskSpec reads, dicts: new TensorDataset({ pixel_values: x, labels: y }), or
// new TensorDataset(x, y, { task }) for the task's own input and label names.
import { tensor } from '../core/creation.js';
import { Tensor } from '../core/tensor.js';
import type { TaskSpec } from '../task/spec.js';
import { checkIndex, type MapDataset, MappedMapDataset, type Transform, type TransformOptions } from './dataset.js';

export interface TensorDatasetOptions {
  /** One field name per tensor: rows become { [name]: row }. */
  names?: string[];
  /** Names the tensors [task.fields.inputs, task.fields.labels] (a TaskSpec's defaults: e.g. pixel_values, labels). */
  task?: { fields: Pick<TaskSpec['fields'], 'inputs' | 'labels'> };
}

type Row = Tensor[] | Record<string, Tensor>;

class TensorDatasetImpl<R extends Row = Tensor[]> implements MapDataset<R> {
  readonly tensors: Tensor[];
  /** Field names of dict rows; undefined for tuple rows. */
  readonly names: string[] | undefined;

  constructor(...args: unknown[]) {
    const last = args[args.length - 1];
    let options: TensorDatasetOptions = {};
    let tensors: unknown[] = args;
    let names: string[] | undefined;
    if (args.length === 1 && isPlainRecord(last)) {
      names = Object.keys(last);
      tensors = Object.values(last);
      if (names.length === 0) throw new TypeError('TensorDataset: give at least one tensor, e.g. new TensorDataset({ features: x, labels: y })');
    } else if (args.length > 1 && isPlainRecord(last)) {
      options = last as TensorDatasetOptions;
      tensors = args.slice(0, -1);
      names = namesFrom(options, tensors.length);
    }
    if (tensors.length === 0) throw new TypeError('TensorDataset: give at least one tensor');
    const label = (i: number) => (names ? `tensor ${i} ('${names[i]}')` : `tensor ${i}`);
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: ${names ? `field '${names[i]}'` : `argument ${i}`} is not a Tensor`);
      if (t.dim() === 0) throw new RangeError(`TensorDataset: ${label(i)} is 0-d; each tensor needs a first dimension to index`);
    });
    const ts = tensors as Tensor[];
    const n = ts[0]!.shape[0]!;
    ts.forEach((t, i) => {
      if (t.shape[0] !== n) {
        throw new RangeError(`TensorDataset: size mismatch between tensors: ${label(0)} has ${n} rows, ${label(i)} has ${t.shape[0]} (shape [${t.shape.join(', ')}])`);
      }
    });
    this.tensors = ts;
    this.names = names;
  }

  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }

  /** Row `index` of every tensor (views; they belong to the caller's tensor scope): a tuple, or a dict by name. */
  get(index: number): R {
    checkIndex(index, this.length, 'TensorDataset');
    const rows = this.tensors.map((t) => t.index(index));
    if (!this.names) return rows as R;
    return Object.fromEntries(this.names.map((name, i) => [name, rows[i]!])) as R;
  }

  /**
   * Rows `indices` of every tensor as one batch, what the default collate makes of get()'s rows
   * (a tuple or dict of stacked rows), with one indexSelect per tensor: a loader of batch 64
   * then makes 2 tensors per batch instead of 128 row views and 2 stacks.
   */
  getBatch(indices: readonly number[]): R {
    const n = this.length;
    for (const i of indices) checkIndex(i, n, 'TensorDataset');
    const batch = this.tensors.map((t) => {
      const index = tensor(indices as number[], { dtype: 'int64', device: t.device });
      try {
        return t.indexSelect(0, index);
      } finally {
        index.dispose();
      }
    });
    if (!this.names) return batch as R;
    return Object.fromEntries(this.names.map((name, i) => [name, batch[i]!])) as R;
  }

  /** This dataset with `transform` applied to each row as it is read (on the main thread: tensors cannot reach workers). */
  map<U>(transform: Transform<R, U>, options?: TransformOptions): MappedMapDataset<R, U> {
    return new MappedMapDataset(this, transform, options);
  }
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || v instanceof Tensor) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function namesFrom(options: TensorDatasetOptions, count: number): string[] | undefined {
  const known = new Set(['names', 'task']);
  const unknown = Object.keys(options).filter((k) => !known.has(k));
  if (unknown.length) throw new TypeError(`TensorDataset options: unknown option(s) ${unknown.join(', ')}; it takes names, task`);
  if (options.names !== undefined) {
    if (!Array.isArray(options.names) || options.names.length !== count || options.names.some((n) => typeof n !== 'string' || n === '')) {
      throw new TypeError(`TensorDataset options: names must hold one non-empty string per tensor (${count}); given ${JSON.stringify(options.names)}`);
    }
    if (new Set(options.names).size !== count) throw new TypeError(`TensorDataset options: names must differ; given ${JSON.stringify(options.names)}`);
    return [...options.names];
  }
  if (options.task !== undefined) {
    const { inputs, labels } = options.task.fields ?? {};
    if (typeof inputs !== 'string') throw new TypeError(`TensorDataset options: the task's inputs field is ${JSON.stringify(inputs)}, not one name; pass names: [...] instead`);
    const names = count === 1 ? [inputs] : count === 2 && labels ? [inputs, labels] : undefined;
    if (!names) throw new TypeError(`TensorDataset options: a task names 1 or 2 tensors (inputs, labels); given ${count}; pass names: [...] for each`);
    return names;
  }
  return undefined;
}

/** The TensorDataset constructor: tuple rows, dict rows from a record of tensors, or named by options. */
export interface TensorDatasetConstructor {
  new <F extends Record<string, Tensor>>(fields: F): TensorDatasetImpl<{ [K in keyof F]: Tensor }>;
  new (...tensors: Tensor[]): TensorDatasetImpl<Tensor[]>;
  new (...args: [...Tensor[], TensorDatasetOptions]): TensorDatasetImpl<Record<string, Tensor>>;
}

export const TensorDataset = TensorDatasetImpl as unknown as TensorDatasetConstructor;
export type TensorDataset<R extends Row = Tensor[]> = TensorDatasetImpl<R>;
