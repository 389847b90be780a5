// The zoo by name: { zoo: 'gpt', config: {...} } is how a model is described in run configs,
// checkpoints (trainer_state.json) and export bundles (model.json), so a model can be rebuilt
// from text. describeModel recovers the description from an instance: every zoo model keeps its
// resolved config as `config`, and the class says which family it is.
import { Module } from '../nn/module.js';
import { Bert, bertConfigSchema } from './bert.js';
import { CLIP, clipConfigSchema } from './clip.js';
import { ModelConfigError } from './config.js';
import { GPT, gptConfigSchema } from './gpt.js';
import { LeNet, leNetConfigSchema } from './lenet.js';
import { MLP, mlpConfigSchema } from './mlp.js';
import { ResNetMini, resNetMiniConfigSchema } from './resnet.js';
import { ViTMini, vitMiniConfigSchema } from './vit.js';

/** The zoo's families by the name configs use. */
export const ZOO = { mlp: MLP, lenet: LeNet, resnet: ResNetMini, gpt: GPT, bert: Bert, vit: ViTMini, clip: CLIP } as const;

export type ZooName = keyof typeof ZOO;
export const ZOO_NAMES = Object.keys(ZOO) as [ZooName, ...ZooName[]];

/** Each family's config schema, for checking a config without building the model. */
export const ZOO_CONFIG_SCHEMAS = {
  mlp: mlpConfigSchema, lenet: leNetConfigSchema, resnet: resNetMiniConfigSchema, gpt: gptConfigSchema,
  bert: bertConfigSchema, vit: vitMiniConfigSchema, clip: clipConfigSchema,
} as const satisfies Record<ZooName, unknown>;

/** A zoo model as text: its family and its (resolved) config. */
export interface ModelDescription {
  zoo: ZooName;
  config: Record<string, unknown>;
}

export function isZooName(name: unknown): name is ZooName {
  return typeof name === 'string' && Object.hasOwn(ZOO, name);
}

/**
 * The description of a zoo model (its family and resolved config, a JSON-safe copy), or null
 * for any other module. Only an instance of the zoo class itself counts: a subclass may add
 * layers that the family's config cannot rebuild.
 */
export function describeModel(model: Module): ModelDescription | null {
  for (const name of ZOO_NAMES) {
    if (model.constructor === ZOO[name]) {
      const config = (model as unknown as { config: Record<string, unknown> }).config;
      return { zoo: name, config: JSON.parse(JSON.stringify(config)) as Record<string, unknown> };
    }
  }
  return null;
}

/** Builds a zoo model from its description; the family's schema checks the config. */
export function createModel(zoo: string, config: unknown = {}): Module {
  if (!isZooName(zoo)) throw new ModelConfigError(String(zoo), [{ path: 'zoo', message: `unknown zoo model ${JSON.stringify(zoo)}; the zoo has ${ZOO_NAMES.join(', ')}` }]);
  const Family = ZOO[zoo] as unknown as new (config: unknown) => Module;
  return new Family(config);
}
