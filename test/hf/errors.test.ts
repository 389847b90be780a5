// hf.fromPretrained / savePretrained refuse bad folders and options with messages that name the
// field or file and the fix; nothing here needs Python (folders are written by hand).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hf, io, nn, type Tensor, torch } from '../../lib/index.js';
import { tempDir } from './hf-python.js';

torch.setNumThreads(1);

const TINY_BERT = { model_type: 'bert', architectures: ['BertModel'], vocab_size: 20, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 8 };

function folder(config: unknown, weights?: Record<string, Tensor> | 'none'): string {
  const dir = tempDir('errors');
  writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  if (weights !== 'none') io.saveSafetensors(path.join(dir, 'model.safetensors'), weights ?? {});
  return dir;
}

/** The weights of a model built from a config (a valid checkpoint to break). */
async function weightsOf(config: Record<string, unknown>): Promise<Record<string, Tensor>> {
  const dir = folder(config, {});
  const { model } = await hf.fromPretrained(dir, { warnMissing: false });
  return model.stateDict();
}

describe('hf errors', () => {
  it('config fields that cannot be built are named', async () => {
    await expect(hf.fromPretrained(folder({ ...TINY_BERT, num_attention_heads: 3 }))).rejects.toThrow(/num_attention_heads.*must divide hidden_size \(8\), got 3/s);
    const { vocab_size: _v, ...noVocab } = TINY_BERT;
    await expect(hf.fromPretrained(folder(noVocab))).rejects.toThrow(/vocab_size/);
    await expect(hf.fromPretrained(folder({ ...TINY_BERT, hidden_act: 'mish' }))).rejects.toThrow(/hidden_act/);
    await expect(hf.fromPretrained(folder({ ...TINY_BERT, position_embedding_type: 'relative_key' }))).rejects.toThrow(/position_embedding_type/);
    await expect(hf.fromPretrained(folder({ ...TINY_BERT, architectures: ['BertForMaskedLMM'] }))).rejects.toThrow(/architectures.*did you mean "BertForMaskedLM"/s);
    await expect(hf.fromPretrained(folder({ model_type: 'mistral', architectures: ['MistralForCausalLM'] }))).rejects.toThrow(/MistralForCausalLM.*not an architecture lib\/hf builds/s);
    const llama = { model_type: 'llama', vocab_size: 10, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 4 };
    await expect(hf.fromPretrained(folder({ ...llama, num_key_value_heads: 3 }))).rejects.toThrow(/num_key_value_heads.*must divide num_attention_heads \(4\), got 3/s);
    await expect(hf.fromPretrained(folder({ ...llama, rope_parameters: { rope_type: 'longrope', rope_theta: 5e5 } }))).rejects.toThrow(/rope_parameters\.rope_type.*"longrope" is not implemented.*default, linear, dynamic, llama3, yarn/s);
    await expect(hf.fromPretrained(folder({ ...llama, rope_scaling: { type: 'su', factor: 2 } }))).rejects.toThrow(/rope_scaling\.type.*"su" is not implemented/s);
    await expect(hf.fromPretrained(folder({ ...llama, rope_parameters: { rope_type: 'llama3', rope_theta: 5e5, factor: 8 } }))).rejects.toThrow(/rope_parameters\.low_freq_factor.*rope_type 'llama3' needs low_freq_factor/s);
    await expect(hf.fromPretrained(folder({ ...TINY_BERT, architectures: ['GPT2LMHeadModel'] }))).rejects.toThrow(/model_type.*"bert".*gpt2/s);
    await expect(hf.fromPretrained(folder({ model_type: 't5' }))).rejects.toThrow(/names no architecture/);
    await expect(hf.fromPretrained(folder('{ "vocab_size": 3,'))).rejects.toThrow(/not valid JSON/);
    await expect(hf.fromPretrained(folder({ model_type: 'gpt2', vocab_size: 10, n_positions: 8, n_embd: 8, n_layer: 1, n_head: 2, scale_attn_by_inverse_layer_idx: true }))).rejects.toThrow(/scale_attn_by_inverse_layer_idx/);
  });

  it('folders without config.json or weights, missing shards, wrong shapes', async () => {
    await expect(hf.fromPretrained(path.join(tempDir('x'), 'absent'))).rejects.toThrow(/is not a folder/);
    await expect(hf.fromPretrained(tempDir('empty'))).rejects.toThrow(/has no config\.json/);
    await expect(hf.fromPretrained(folder(TINY_BERT, 'none'))).rejects.toThrow(/has no weights: expected one of model\.safetensors/);
    const sharded = folder(TINY_BERT, 'none');
    writeFileSync(path.join(sharded, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'embeddings.word_embeddings.weight': 'model-00001-of-00002.safetensors' } }));
    await expect(hf.fromPretrained(sharded)).rejects.toThrow(/lists model-00001-of-00002\.safetensors, which is not in/);
    const weights = await weightsOf(TINY_BERT);
    weights['embeddings.word_embeddings.weight'] = torch.zeros([21, 8]);
    await expect(hf.fromPretrained(folder(TINY_BERT, weights))).rejects.toThrow(/size mismatch for embeddings\.word_embeddings\.weight/);
  });

  it('options and inputs are checked', async () => {
    const dir = folder(TINY_BERT, await weightsOf(TINY_BERT));
    await expect(hf.fromPretrained(dir, { numLabel: 2 } as never)).rejects.toThrow(/numLabel/);
    await expect(hf.fromPretrained(dir, { numLabels: 0 })).rejects.toThrow(/numLabels/);
    const { model } = await hf.fromPretrained<hf.models.BertModel>(dir);
    expect(() => model.forward(torch.tensor([[1, 2, 3]], { dtype: 'float32' }))).toThrow(/integer token ids/);
    expect(() => model.forward(torch.tensor([[1, 2, 3, 4, 5, 6, 7, 8, 9]], { dtype: 'int64' }))).toThrow(/exceeds the 8 positions/);
    expect(() => model.forward(torch.tensor([[1, 2, 3]], { dtype: 'int64' }), { attentionMask: torch.tensor([[1, 1]], { dtype: 'int64' }) })).toThrow(/attentionMask must have the ids' shape/);
    expect(() => model.forward(torch.tensor([[1, 25]], { dtype: 'int64' }))).toThrow(/25, outside \[0, 20\)/);
    await expect(hf.savePretrained(new nn.Linear(2, 2) as never, tempDir('s'))).rejects.toThrow(/must be one of lib\/hf's models/);
    await expect(hf.savePretrained(model, tempDir('s'), { maxShardSize: 'lots' })).rejects.toThrow(/maxShardSize/);
    await expect(hf.savePretrained(model, tempDir('s'), { tokenizer: {} as never })).rejects.toThrow(/tokenizer/);
  });

  it('old checkpoints: LayerNorm gamma/beta names, a base model inside a head checkpoint, stray buffers', async () => {
    const weights = await weightsOf(TINY_BERT);
    const renamed: Record<string, Tensor> = { 'bert.embeddings.position_ids': torch.arange(8).unsqueeze(0) };
    for (const [k, t] of Object.entries(weights)) renamed[`bert.${k.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta')}`] = t;
    renamed['cls.predictions.bias'] = torch.zeros([20]);
    const dir = folder(TINY_BERT, renamed);
    const { model, missingKeys, unexpectedKeys } = await hf.fromPretrained(dir);
    expect(missingKeys).toEqual([]);
    expect(unexpectedKeys).toEqual(['cls.predictions.bias']);
    for (const [k, t] of Object.entries(model.stateDict())) expect(t.equal(weights[k]!), k).toBe(true);
  });
});
