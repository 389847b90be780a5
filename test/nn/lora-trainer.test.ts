// LoRA with the Trainer: the optimizer holds only the trainable (adapter) parameters, and a
// LoRA fine-tune of a zoo GPT lowers the loss while every base weight stays bit-for-bit the same.
import { describe, expect, it } from 'vitest';
import { TaskSpecs, Trainer, data, models, nn, torch } from '../../lib/index.js';
import { mobyDick } from '../../examples/datasets.js';

torch.setNumThreads(1);

describe('LoRA fine-tuning with the Trainer', () => {
  const text = mobyDick().slice(0, 60_000);
  const tokenizer = data.CharTokenizer.fromText(text);
  const ids = Int32Array.from(tokenizer.encode(text));
  const blockSize = 32;
  const corpus = new data.TextCorpus({ tokens: ids, vocabSize: tokenizer.vocabSize }, { blockSize, stride: 8, labels: 'next-token' });
  const held = new data.TextCorpus({ tokens: ids.subarray(0, 8000), vocabSize: tokenizer.vocabSize }, { blockSize, labels: 'next-token' });
  const task = TaskSpecs.causalLm({ vocabSize: tokenizer.vocabSize, loss: { name: 'causal_lm', options: { shift: false } } });

  it('trains only the adapters: the optimizer sees them alone, the loss falls, the base weights do not move', async () => {
    torch.manualSeed(0);
    const model = new models.GPT({ vocabSize: tokenizer.vocabSize, blockSize, nLayer: 2, nHead: 2, nEmbd: 32 });
    const summary = nn.lora.apply(model, { targetModules: ['mlp_fc', 'mlp_proj', 'lm_head'], r: 8, alpha: 16 });
    expect(summary.targets).toEqual(['transformer.h.0.mlp_fc', 'transformer.h.0.mlp_proj', 'transformer.h.1.mlp_fc', 'transformer.h.1.mlp_proj', 'lm_head']);
    const base = Object.fromEntries(model.namedParameters().filter(([, p]) => !p.requiresGrad).map(([n, p]) => [n, p.clone()]));
    const trainer = new Trainer({
      model, task,
      train: new data.DataLoader(corpus, { batchSize: 32, shuffle: true, dropLast: true, collateOptions: { task } }),
      val: new data.DataLoader(held, { batchSize: 256, collateOptions: { task } }),
      config: { maxSteps: 60, device: 'cpu', optimizer: { lr: 2e-2, weightDecay: 0.1 }, schedule: { name: 'constant' } },
    });
    const inOptimizer = trainer.optimizer.paramGroups.flatMap((g) => g.params);
    const adapters = model.namedParameters().filter(([n]) => n.includes('.lora_')).map(([, p]) => p);
    expect(new Set(inOptimizer)).toEqual(new Set(adapters));
    expect(inOptimizer.reduce((n, p) => n + p.numel(), 0)).toBe(summary.trainable);

    const before = await trainer.validate();
    const result = await trainer.fit();
    expect(result.steps).toBe(60);
    const after = result.epochs.at(-1)!.validation ?? (await trainer.validate());
    console.log(`LoRA GPT: loss ${before.loss.toFixed(3)} -> ${after.loss.toFixed(3)}; ${nn.lora.formatParameterCounts(model)}`);
    expect(after.loss).toBeLessThan(before.loss - 0.3);
    for (const [name, p] of model.namedParameters()) if (name in base) expect(p.equal(base[name]), name).toBe(true);
  });

  it('an all-frozen model is an error that says how to fix it', () => {
    const model = new models.GPT({ vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 }).requiresGrad_(false);
    expect(() => new Trainer({ model, task: TaskSpecs.causalLm({ vocabSize: 11 }), train: [], config: { maxSteps: 1 } })).toThrow(/every parameter of GPT is frozen.*nn\.lora\.apply/);
  });
});
