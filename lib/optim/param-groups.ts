// Parameter groups without weight decay on biases and normalisation weights (the usual recipe
// of nanoGPT and the Hugging Face Trainer).
import { type Module } from '../nn/module.js';
import { type Parameter } from '../nn/parameter.js';
import { type ParamGroupInput } from './optimizer.js';

const NORM_LAYERS = new Set(['LayerNorm', 'BatchNorm1d', 'BatchNorm2d', 'GroupNorm', 'RMSNorm']);

/**
 * Two groups: decayed (weight matrices, conv kernels, embeddings) and not decayed (biases,
 * normalisation layers' parameters, and any 0/1-d parameter). A shared parameter is placed once.
 */
export function paramGroupsWithoutDecay(model: Module, weightDecay: number, options: { noDecay?: (name: string, p: Parameter) => boolean } = {}): ParamGroupInput[] {
  const normParams = new Set<Parameter>();
  for (const m of model.modules()) if (NORM_LAYERS.has(m.constructor.name)) for (const p of m.parameters({ recurse: false })) normParams.add(p);
  const decay: Parameter[] = [], noDecay: Parameter[] = [];
  for (const [name, p] of model.namedParameters()) {
    const skip = options.noDecay?.(name, p) ?? (normParams.has(p) || name.endsWith('bias') || p.ndim < 2);
    (skip ? noDecay : decay).push(p);
  }
  const groups: ParamGroupInput[] = [];
  if (decay.length) groups.push({ params: decay, weightDecay });
  if (noDecay.length) groups.push({ params: noDecay, weightDecay: 0 });
  return groups;
}
