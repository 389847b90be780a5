// transformers' architectures built as torchtrain modules, with transformers' parameter names.
export { BertModel, BertForSequenceClassification, BertForMaskedLM, type BertModelOutput } from './bert.js';
export { GPT2Model, GPT2LMHeadModel } from './gpt2.js';
export { LlamaModel, LlamaForCausalLM } from './llama.js';
export { ARCHITECTURES } from './registry.js';
