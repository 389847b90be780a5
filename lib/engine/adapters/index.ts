export { type ModelAdapter, StandardAdapter, MultimodalAdapter, TorchScriptAdapter, UniversalAdapter, toModelOutput } from './adapter.js';
export { DialogueAdapter, chatMlTemplate, type ChatMessage, type ChatTemplate, type Tokenizer } from './dialogue.js';
