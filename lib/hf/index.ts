// lib/hf: Hugging Face folders in and out. fromPretrained builds transformers' BERT, GPT-2 and
// Llama architectures with transformers' parameter names and loads their weights; savePretrained
// writes a folder transformers' from_pretrained reads; HfTokenizer runs tokenizer.json.
export { fromPretrained, supportedArchitectures, type FromPretrainedOptions, type Pretrained } from './from-pretrained.js';
export { savePretrained, type SavePretrainedOptions } from './save-pretrained.js';
export { HfTokenizer, type HfTokenizerFiles, type HfEncodeOptions } from './tokenizer.js';
export { ChatTemplate, ChatTemplateError, type ChatTurn, type ChatTemplateOptions } from './chat-template.js';
export { HfConfigError, bertConfigSchema, gpt2ConfigSchema, llamaConfigSchema, ROPE_TYPES, type BertHfConfig, type Gpt2HfConfig, type LlamaHfConfig, type RopeParameters } from './config.js';
export { type HfInputs, type PretrainedModel, Conv1D, isPretrainedModel, HfPretrainedModule } from './models/common.js';
export * as models from './models/index.js';
