// The model zoo (`models` in the public API): small, readable reference models, one file per
// family, each with a typed, validated config and a forward over the model's natural inputs.
export { ModelConfigError } from './config.js';
export { MLP, type MLPConfig, type ResolvedMLPConfig } from './mlp.js';
export { LeNet, type LeNetConfig, type ResolvedLeNetConfig } from './lenet.js';
export { ResNetMini, BasicBlock, type ResNetMiniConfig, type ResolvedResNetMiniConfig } from './resnet.js';
export { GPT, GPTTransformer, type GPTConfig, type ResolvedGPTConfig, type GenerateOptions } from './gpt.js';
export { Bert, BertEmbeddings, BertLMHead, BertPooler, type BertConfig, type ResolvedBertConfig, type BertInputs } from './bert.js';
export { ViTMini, type ViTMiniConfig, type ViTTowerConfig, type ResolvedViTMiniConfig } from './vit.js';
export { CLIP, CLIPTextTransformer, type CLIPConfig, type CLIPTextConfig, type CLIPTextInputs, type ResolvedCLIPConfig } from './clip.js';
export { ZOO, ZOO_NAMES, ZOO_CONFIG_SCHEMAS, createModel, describeModel, isZooName, type ModelDescription, type ZooName } from './zoo.js';
