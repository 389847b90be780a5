// Activation checkpointing in lib/hf's transformer blocks (BertLayer, GPT2Block,
// LlamaDecoderLayer): the same loss and gradients bit for bit with and without (dropout on:
// nn.checkpoint replays the forward's RNG), padding masks and rotary cos/sin passed through, less
// native memory held at the end of the forward, and the switches (fromPretrained's option,
// gradientCheckpointingEnable / Disable, isGradientCheckpointing).
import { describe, expect, it } from 'vitest';
import { hf, nn, type Tensor, torch } from '../../lib/index.js';
import { tempDir } from './hf-python.js';
import { miniLmDir } from './minilm-path.js';

torch.setNumThreads(1);

const MINILM = miniLmDir();

type Forward = (m: nn.Module) => Tensor;

/** Loss and a copy of every gradient after one forward + backward with a fixed seed. */
function step(model: nn.Module, forward: Forward): { loss: number; grads: Map<string, Tensor> } {
  model.zeroGrad();
  torch.manualSeed(7);
  const loss = torch.scope(() => {
    const l = forward(model).float().pow(2).mean();
    l.backward();
    return l.item() as number;
  });
  return { loss, grads: new Map(model.namedParameters().map(([n, p]) => [n, p.grad ? torch.keep(p.grad.clone()) : torch.keep(torch.zeros([0]))])) };
}

function expectSame(model: nn.Module & { gradientCheckpointingEnable(): unknown; gradientCheckpointingDisable(): unknown }, forward: Forward): void {
  model.train();
  model.gradientCheckpointingDisable();
  const plain = step(model, forward);
  model.gradientCheckpointingEnable();
  const ckpt = step(model, forward);
  expect(ckpt.loss).toBe(plain.loss);
  expect([...ckpt.grads.keys()]).toEqual([...plain.grads.keys()]);
  let withGrad = 0;
  for (const [name, g] of plain.grads) {
    expect(ckpt.grads.get(name)!.equal(g), name).toBe(true);
    if (g.numel() > 0) withGrad++;
  }
  expect(withGrad).toBeGreaterThan(0);
}

/** Native bytes held by live tensors right after the forward: the peak of a step, before backward frees it. */
function heldAfterForward(model: nn.Module, forward: Forward): number {
  return torch.scope(() => {
    const before = torch.memory().storageBytes;
    const loss = forward(model).float().pow(2).mean();
    const held = torch.memory().storageBytes - before;
    loss.backward();
    return held;
  });
}

const ids = (vocab: number, b: number, t: number) => torch.randint(0, vocab, [b, t], { dtype: 'int64' });
const maskOf = (b: number, t: number, lengths: number[]) =>
  torch.tensor(Array.from({ length: b }, (_, i) => Array.from({ length: t }, (_, j) => (j < lengths[i]! ? 1 : 0))), { dtype: 'int64' });

function tinyGpt2(): hf.models.GPT2LMHeadModel {
  torch.manualSeed(0);
  return new hf.models.GPT2LMHeadModel(hf.gpt2ConfigSchema.parse({ vocab_size: 50, n_positions: 64, n_embd: 32, n_layer: 3, n_head: 4, resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1 }));
}

function tinyLlama(): hf.models.LlamaForCausalLM {
  torch.manualSeed(0);
  return new hf.models.LlamaForCausalLM(hf.llamaConfigSchema.parse({
    vocab_size: 60, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2,
    max_position_embeddings: 64, attention_dropout: 0.1,
  }));
}

describe('gradient checkpointing in lib/hf models', () => {
  it('GPT-2: bit-identical loss and gradients, with and without a padding mask (dropout on)', () => {
    const model = tinyGpt2();
    const x = ids(50, 2, 12), mask = maskOf(2, 12, [12, 7]);
    expectSame(model, (m) => (m as hf.models.GPT2LMHeadModel).forward(x));
    expectSame(model, (m) => (m as hf.models.GPT2LMHeadModel).forward(x, { attentionMask: mask }));
  });

  it('Llama (grouped-query attention, rotary cos/sin as checkpoint inputs): bit-identical, with and without a padding mask', () => {
    const model = tinyLlama();
    const x = ids(60, 2, 10), mask = maskOf(2, 10, [10, 6]);
    expectSame(model, (m) => (m as hf.models.LlamaForCausalLM).forward(x));
    expectSame(model, (m) => (m as hf.models.LlamaForCausalLM).forward(x, { attentionMask: mask }));
  });

  it.skipIf(!MINILM)('the real MiniLM as a sequence classifier (dropout on, padded batch): bit-identical', async () => {
    const { model } = await hf.fromPretrained<hf.models.BertForSequenceClassification>(MINILM!, { architecture: 'BertForSequenceClassification', numLabels: 2, warnMissing: false, tokenizer: false });
    const x = ids(30000, 2, 16), mask = maskOf(2, 16, [16, 9]);
    expectSame(model, (m) => (m as hf.models.BertForSequenceClassification).forward(x, { attentionMask: mask }));
  }, 60_000);

  it('holds less native memory at the end of the forward', () => {
    const model = tinyLlama();
    model.train();
    const x = ids(60, 4, 64), mask = maskOf(4, 64, [64, 50, 64, 30]);
    const forward: Forward = (m) => (m as hf.models.LlamaForCausalLM).forward(x, { attentionMask: mask });
    model.gradientCheckpointingDisable();
    const plain = heldAfterForward(model, forward);
    model.gradientCheckpointingEnable();
    const ckpt = heldAfterForward(model, forward);
    expect(ckpt).toBeLessThan(plain);
  });

  it('fromPretrained({ gradientCheckpointing }) turns it on; eval and noGrad run the plain blocks', async () => {
    const dir = tempDir('ckpt');
    const source = tinyGpt2();
    await hf.savePretrained(source, dir);
    const { model } = await hf.fromPretrained<hf.models.GPT2LMHeadModel>(dir, { gradientCheckpointing: true });
    expect(model.isGradientCheckpointing).toBe(true);
    expect(model.transformer.gradientCheckpointing).toBe(true);
    const x = ids(50, 1, 8);
    // The last block's output is the checkpoint's when training, a plain op's in eval.
    const lastBlock = (): string | null => torch.scope(() => {
      let seen: string | null = null;
      const ln = model.transformer.lnF;
      const original = ln.forward.bind(ln);
      ln.forward = (h: Tensor) => { seen = h.gradFn; return original(h); };
      try { model.transformer.forward(x); } finally { ln.forward = original; }
      return seen;
    });
    model.train();
    expect(lastBlock()).toBe('CheckpointBackward');
    model.eval();
    expect(lastBlock()).not.toBe('CheckpointBackward');
    model.gradientCheckpointingDisable();
    expect(model.isGradientCheckpointing).toBe(false);
    const { model: plain } = await hf.fromPretrained<hf.models.GPT2LMHeadModel>(dir);
    expect(plain.isGradientCheckpointing).toBe(false);
    await expect(hf.fromPretrained(dir, { gradientCheckpointing: 'yes' } as never)).rejects.toThrow(/gradientCheckpointing/);
  });
});
