// transformers' architecture names -> lib/hf's builders: what config.json's `architectures`
// (or fromPretrained's `architecture` option) may name, and the model_type each belongs to.
import { nearestName } from '../../core/validation.js';
import { bertConfigSchema, gpt2ConfigSchema, HfConfigError, llamaConfigSchema, parseHfConfig } from '../config.js';
import { BertForMaskedLM, BertForSequenceClassification, BertModel } from './bert.js';
import { type PretrainedModel } from './common.js';
import { GPT2LMHeadModel, GPT2Model } from './gpt2.js';
import { LlamaForCausalLM, LlamaModel } from './llama.js';

interface Architecture {
  modelType: 'bert' | 'gpt2' | 'llama';
  build(raw: Record<string, unknown>, where: string): PretrainedModel;
}

const bert = (make: (c: ReturnType<typeof parseBert>) => PretrainedModel): Architecture => ({ modelType: 'bert', build: (raw, where) => make(parseBert(raw, where)) });
const gpt2 = (make: (c: ReturnType<typeof parseGpt2>) => PretrainedModel): Architecture => ({ modelType: 'gpt2', build: (raw, where) => make(parseGpt2(raw, where)) });
const llama = (make: (c: ReturnType<typeof parseLlama>) => PretrainedModel): Architecture => ({ modelType: 'llama', build: (raw, where) => make(parseLlama(raw, where)) });
function parseLlama(raw: Record<string, unknown>, where: string) {
  return parseHfConfig(llamaConfigSchema, raw, where);
}
function parseBert(raw: Record<string, unknown>, where: string) {
  return parseHfConfig(bertConfigSchema, raw, where);
}
function parseGpt2(raw: Record<string, unknown>, where: string) {
  return parseHfConfig(gpt2ConfigSchema, raw, where);
}

export const ARCHITECTURES: Readonly<Record<string, Architecture>> = {
  BertModel: bert((c) => new BertModel(c)),
  BertForSequenceClassification: bert((c) => new BertForSequenceClassification(c)),
  BertForMaskedLM: bert((c) => new BertForMaskedLM(c)),
  GPT2Model: gpt2((c) => new GPT2Model(c)),
  GPT2LMHeadModel: gpt2((c) => new GPT2LMHeadModel(c)),
  LlamaModel: llama((c) => new LlamaModel(c)),
  LlamaForCausalLM: llama((c) => new LlamaForCausalLM(c)),
};

/** The architecture a model_type gets when config.json names none. */
const DEFAULT_FOR_TYPE: Record<string, string> = { bert: 'BertModel', gpt2: 'GPT2LMHeadModel', llama: 'LlamaForCausalLM' };

/** Picks the architecture: the option, else config.json's architectures[0], else model_type's default. */
export function resolveArchitecture(raw: Record<string, unknown>, requested: string | undefined, where: string): { name: string; spec: Architecture } {
  const listed = Array.isArray(raw.architectures) && typeof raw.architectures[0] === 'string' ? raw.architectures[0] : undefined;
  const modelType = typeof raw.model_type === 'string' ? raw.model_type : undefined;
  const name = requested ?? listed ?? (modelType ? DEFAULT_FOR_TYPE[modelType] : undefined);
  const known = Object.keys(ARCHITECTURES);
  if (name === undefined) {
    throw new HfConfigError(where, [`architectures / model_type: config.json names no architecture lib/hf builds (model_type ${JSON.stringify(modelType ?? null)}); fix: pass { architecture } with one of ${known.join(', ')}`]);
  }
  const spec = ARCHITECTURES[name];
  if (!spec) {
    const near = nearestName(name, known);
    const field = requested ? 'options.architecture' : listed ? 'architectures' : 'model_type';
    throw new HfConfigError(where, [`${field}: ${JSON.stringify(requested ? name : listed ?? modelType)} is not an architecture lib/hf builds${near ? `; did you mean ${JSON.stringify(near)}?` : ''} (it builds ${known.join(', ')})`]);
  }
  if (modelType !== undefined && modelType !== spec.modelType) {
    throw new HfConfigError(where, [`model_type: config.json says ${JSON.stringify(modelType)} but ${name} is a ${spec.modelType} architecture; fix: choose a ${modelType} architecture`]);
  }
  return { name, spec };
}
