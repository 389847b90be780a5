// Model adapters turn a batch into a model call and the model's answer into a ModelOutput the
// loss strategies read, so the engine never assumes a model signature. The universal adapter
// picks one from the TaskSpec and the model.
import { Tensor, describe } from '../../core/tensor.js';
import { type Batch, type ModelOutput } from '../../loss/types.js';
import { type Module } from '../../nn/module.js';
import { type TaskSpec } from '../../task/spec.js';

export interface ModelAdapter {
  readonly name: string;
  forward(model: Module, batch: Batch, task: TaskSpec): ModelOutput;
}

function field(batch: Batch, name: string, adapter: string): Tensor {
  const v = batch[name];
  if (!(v instanceof Tensor)) {
    const keys = Object.keys(batch);
    // Positional rows (a TensorDataset(x, y)) collate to fields '0', '1', ... that no TaskSpec names.
    const positional = keys.length > 0 && keys.every((k) => /^\d+$/.test(k));
    const fix = positional
      ? `the batch's fields are positions (${keys.join(', ')}): name them, e.g. new data.TensorDataset({ ${name}: x, labels: y }) or new data.TensorDataset(x, y, { task })`
      : "set TaskSpec.fields to the batch's field names";
    throw new TypeError(`${adapter}: the batch has no Tensor field '${name}' (it has: ${keys.join(', ') || 'nothing'}); ${fix}`);
  }
  return v;
}

/** A model's answer as a ModelOutput: a Tensor is the logits, an array's first entry too. */
export function toModelOutput(result: unknown, adapter: string): ModelOutput {
  if (result instanceof Tensor) return { logits: result };
  if (Array.isArray(result) && result[0] instanceof Tensor) return { logits: result[0], rest: result.slice(1) };
  if (result && typeof result === 'object') return result as ModelOutput;
  throw new TypeError(`${adapter}: the model returned ${describe(result)}; return a Tensor of logits or an object such as { logits }`);
}

type Callable = (...args: unknown[]) => unknown;
const method = (model: Module, name: string): Callable | null => {
  const fn = (model as unknown as Record<string, unknown>)[name];
  return typeof fn === 'function' ? (fn as Callable).bind(model) : null;
};

/**
 * Inputs field -> model -> { logits }. Uses the model's task method where it has one
 * (maskedLmLogits for masked LM, classify for sequence classification), else forward; the
 * attention mask goes along when the batch has one and the method takes a second argument.
 */
export class StandardAdapter implements ModelAdapter {
  readonly name = 'standard';

  forward(model: Module, batch: Batch, task: TaskSpec): ModelOutput {
    if (typeof task.fields.inputs !== 'string') throw new TypeError(`standard adapter: TaskSpec.fields.inputs must name one field; use the multimodal adapter for ${JSON.stringify(task.fields.inputs)}`);
    const inputs = field(batch, task.fields.inputs, 'standard adapter');
    const mask = batch[task.fields.attentionMask] instanceof Tensor ? (batch[task.fields.attentionMask] as Tensor) : undefined;
    const special = task.type === 'masked_lm' ? method(model, 'maskedLmLogits') : task.type === 'seq_classification' ? method(model, 'classify') : null;
    if (special) return toModelOutput(mask ? special(inputs, { attentionMask: mask }) : special(inputs), this.name);
    const forward = model.forward.bind(model) as Callable;
    return toModelOutput(mask && model.forward.length > 1 ? forward(inputs, { attentionMask: mask }) : forward(inputs), this.name);
  }
}

/**
 * Image and text pairs -> embeddings for contrastive losses: encodeImage/encodeText (and the
 * model's logitScale) when the model has them, else forward(images, texts).
 */
export class MultimodalAdapter implements ModelAdapter {
  readonly name = 'multimodal';

  forward(model: Module, batch: Batch, task: TaskSpec): ModelOutput {
    const roles = typeof task.fields.inputs === 'string' ? { images: 'pixel_values', texts: task.fields.inputs } : task.fields.inputs;
    if (!roles.images || !roles.texts) throw new TypeError(`multimodal adapter: TaskSpec.fields.inputs must map images and texts to batch fields, got ${JSON.stringify(task.fields.inputs)}`);
    const images = field(batch, roles.images, 'multimodal adapter'), texts = field(batch, roles.texts, 'multimodal adapter');
    const mask = batch[task.fields.attentionMask] instanceof Tensor ? (batch[task.fields.attentionMask] as Tensor) : undefined;
    const encodeImage = method(model, 'encodeImage'), encodeText = method(model, 'encodeText');
    if (encodeImage && encodeText) {
      const logitScale = (model as unknown as { logitScale?: unknown }).logitScale;
      return {
        imageEmbeds: encodeImage(images) as Tensor,
        textEmbeds: (mask ? encodeText(texts, { attentionMask: mask }) : encodeText(texts)) as Tensor,
        ...(logitScale instanceof Tensor ? { logitScale } : {}),
      };
    }
    return toModelOutput((model.forward as Callable).call(model, images, texts), this.name);
  }
}

/** A TorchScript module (jit.load) called with the inputs field, its answer normalised. */
export class TorchScriptAdapter implements ModelAdapter {
  readonly name = 'torchscript';
  private readonly standard = new StandardAdapter();

  forward(model: Module, batch: Batch, task: TaskSpec): ModelOutput {
    return this.standard.forward(model, batch, task);
  }
}

/** Picks the multimodal adapter for multimodal tasks, else the standard one. */
export class UniversalAdapter implements ModelAdapter {
  readonly name = 'universal';
  private readonly standard = new StandardAdapter();
  private readonly multimodal = new MultimodalAdapter();

  forward(model: Module, batch: Batch, task: TaskSpec): ModelOutput {
    return (task.modality === 'multimodal' ? this.multimodal : this.standard).forward(model, batch, task);
  }
}
