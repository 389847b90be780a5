// torchtrain's nn namespace: Module, Parameter, layers, functional and init.
export { Module, LayerInputError, type LoadResult } from './module.js';
export { Parameter } from './parameter.js';
export * as functional from './functional.js';
export * as init from './init.js';
export { summary } from './summary.js';
export { Linear, Identity, Flatten } from './layers/linear.js';
export { Conv1d, Conv2d, ConvTranspose2d, type ConvOptions } from './layers/conv.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './layers/pooling.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, RMSNorm, type BatchNormOptions } from './layers/normalization.js';
export { ReLU, GELU, SiLU, Tanh, Sigmoid, Softmax, Dropout } from './layers/activation.js';
export { Embedding, SinusoidalPositionalEmbedding, LearnedPositionalEmbedding } from './layers/embedding.js';
export { Sequential, ModuleList, ModuleDict } from './layers/container.js';
export { MultiheadAttention, type AttentionCall, type MultiheadAttentionOptions } from './layers/attention.js';
export { TransformerEncoderLayer, TransformerDecoderBlock, type EncoderLayerOptions, type Activation } from './layers/transformer.js';
export * as lora from './lora.js';
export { checkpoint, type CheckpointOptions } from './checkpoint.js';
