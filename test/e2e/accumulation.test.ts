// End to end: gradient accumulation through the Trainer on padded causal-LM batches. Lines of
// Moby-Dick of different lengths are padded per batch (DataLoader + default collate: padTokenId
// and an attention mask), so micro-batches hold different numbers of real tokens. k = 3
// accumulated micro-batches of 4 lines must update a GPT exactly as one batch of 12 lines does:
// the causal_lm loss returns a sum and its token count, and the step divides the window's summed
// gradients by the window's tokens (SGD with momentum and gradient clipping, 3 optimizer steps).
//
// The bound: every parameter equal to 1e-6 (absolute). As a check that the comparison has
// teeth, averaging each micro-batch's mean loss instead (what a naive loop does) moves the
// parameters by far more than that.
import { describe, expect, it } from 'vitest';
import { type Tensor, TaskSpecs, Trainer, data, losses, models, torch } from '../../lib/index.js';
import { mobyDick } from '../../examples/datasets.js';

torch.setNumThreads(1);

const TOLERANCE = 1e-6;

describe('e2e: gradient accumulation on padded causal-LM batches', () => {
  const text = mobyDick();
  const tokenizer = data.CharTokenizer.fromText(text);
  const padTokenId = tokenizer.vocabSize;
  // Lines of 10 to 60 characters, in book order: lengths vary within every batch.
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length >= 10 && l.length <= 60).slice(0, 36);
  const dataset = new data.InMemoryDataset(lines.map((l) => ({ input_ids: tokenizer.encode(l) })));
  const task = TaskSpecs.causalLm({ vocabSize: padTokenId + 1, padTokenId });

  async function train(batchSize: number, accumulation: number, loss?: losses.LossStrategy): Promise<Tensor[]> {
    torch.manualSeed(0);
    const model = new models.GPT({ vocabSize: padTokenId + 1, blockSize: 64, nLayer: 2, nHead: 2, nEmbd: 32 });
    const trainer = new Trainer({
      model, task, loss,
      train: new data.DataLoader(dataset, { batchSize, shuffle: true, seed: 7, collateOptions: { task } }),
      config: {
        maxSteps: 3, gradientAccumulationSteps: accumulation, maxGradNorm: 1.0, device: 'cpu',
        optimizer: { name: 'sgd', lr: 0.5, momentum: 0.9, weightDecay: 0 }, schedule: { name: 'constant' },
      },
    });
    const result = await trainer.fit();
    expect(result.steps).toBe(3);
    expect(result.epochs[0].microBatches).toBe(3 * accumulation);
    return model.parameters();
  }

  it(`3 micro-batches of 4 padded lines equal one batch of 12 (parameters to ${TOLERANCE})`, async () => {
    // The micro-batches really differ in real tokens (else per-batch means would do as well).
    const counts: number[] = [];
    for await (const batch of new data.DataLoader(dataset, { batchSize: 4, shuffle: true, seed: 7, collateOptions: { task } })) {
      const mask = (batch as Record<string, Tensor>).attention_mask!;
      counts.push(mask.sum().item());
      expect(mask.min().item()).toBe(0); // padded
    }
    expect(new Set(counts).size).toBeGreaterThan(3);

    const large = await train(12, 1);
    const accumulated = await train(4, 3);
    let worst = 0;
    large.forEach((p, i) => (worst = Math.max(worst, p.sub(accumulated[i]!).abs().max().item())));
    console.log(`accumulation: largest parameter difference ${worst.toExponential(2)} after 3 steps`);
    expect(worst).toBeLessThanOrEqual(TOLERANCE);

    const causal = losses.get('causal_lm');
    const meanOfMeans: losses.LossStrategy = {
      name: 'mean_of_micro_batch_means',
      computeLoss(output, batch, t) {
        const r = causal.computeLoss(output, batch, t);
        return { loss: r.loss.div(r.numItems), numItems: 1 };
      },
    };
    const naive = await train(4, 3, meanOfMeans);
    let naiveWorst = 0;
    large.forEach((p, i) => (naiveWorst = Math.max(naiveWorst, p.sub(naive[i]!).abs().max().item())));
    console.log(`averaging micro-batch means instead: largest difference ${naiveWorst.toExponential(2)}`);
    expect(naiveWorst).toBeGreaterThan(100 * TOLERANCE);
  });
});
