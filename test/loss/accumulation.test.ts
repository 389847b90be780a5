// What the engine relies on: a padded causal-LM batch split into micro-batches, each loss
// summed and backpropagated, then loss and gradients divided by the window's total items,
// gives exactly the full batch's mean loss and its gradients; averaging per micro-batch means
// does not. Also the accumulation caveat of usesWholeBatch losses, shown on SimCLR.
import { describe, expect, it } from 'vitest';
import { losses, nn, torch, type Tensor } from '../../lib/index.js';
import { GradientAccumulator } from '../../lib/engine/gradient-accumulator.js';
import { TaskSpecs } from '../../lib/task/index.js';

const V = 13;
const task = TaskSpecs.causalLm({ vocabSize: V, padTokenId: 0 });

// Four sequences padded to 7 with very different real lengths (7, 2, 5, 3).
const ids = torch.tensor([[3, 5, 7, 2, 9, 4, 11], [6, 8, 0, 0, 0, 0, 0], [12, 1, 4, 4, 10, 0, 0], [2, 2, 9, 0, 0, 0, 0]], { dtype: 'int64' });
const mask = ids.ne(0).long();

function model(): nn.Sequential {
  torch.manualSeed(0);
  return new nn.Sequential(new nn.Embedding(V, 8), new nn.Linear(8, 16), new nn.ReLU(), new nn.Linear(16, V));
}

function gradients(m: nn.Module): Tensor[] {
  return m.parameters().map((p) => p.grad!.clone());
}

describe('gradient accumulation with summed losses', () => {
  const loss = losses.lossForTask(task);

  it('micro-batches of a padded causal-LM batch, normalised by the window\'s items, equal the full batch\'s mean loss and gradients', () => {
    // the full batch, as PyTorch users compute it: mean cross entropy over non-padding next tokens
    const full = model();
    const logits = full.forward(ids);
    const targets = ids.maskedFill(mask.eq(0), -100).index(':', '1:').reshape(-1);
    const reference = nn.functional.crossEntropy(logits.index(':', ':-1').reshape(-1, V), targets, { ignoreIndex: -100 });
    reference.backward();
    const fullGrads = gradients(full);

    // three uneven micro-batches: rows [0], [1, 2], [3]
    const accumulated = model();
    const accumulator = new GradientAccumulator(3);
    let lossSum = 0;
    let boundary = null;
    for (const [a, b] of [[0, 1], [1, 3], [3, 4]]) {
      const micro = { input_ids: ids.index(`${a}:${b}`), attention_mask: mask.index(`${a}:${b}`) };
      const r = loss.computeLoss({ logits: accumulated.forward(micro.input_ids) }, micro, task);
      r.loss.backward();
      lossSum += r.loss.item();
      boundary = accumulator.add(r.numItems, b === 4);
    }
    expect(boundary!.isBoundary).toBe(true);
    // token counts stay on the device: the window's sum is a 0-d float64 tensor
    const windowItems = losses.itemsOf(boundary!.items);
    expect(windowItems).toBe(6 + 1 + 4 + 2);
    expect(lossSum / windowItems).toBeCloseTo(reference.item(), 5);
    const accGrads = accumulated.parameters().map((p) => p.grad!.div(windowItems));
    accGrads.forEach((g, i) => expect(g.allclose(fullGrads[i], { rtol: 1e-5, atol: 1e-7 }), `parameter ${i}`).toBe(true));

    // the mistake the item counts prevent: averaging each micro-batch's mean
    let meanOfMeans = 0;
    for (const [a, b] of [[0, 1], [1, 3], [3, 4]]) {
      const micro = { input_ids: ids.index(`${a}:${b}`), attention_mask: mask.index(`${a}:${b}`) };
      const r = torch.noGrad(() => loss.computeLoss({ logits: accumulated.forward(micro.input_ids) }, micro, task));
      meanOfMeans += r.loss.item() / losses.itemsOf(r.numItems) / 3;
    }
    expect(Math.abs(meanOfMeans - reference.item())).toBeGreaterThan(1e-3);
  });

  it('usesWholeBatch losses are the caveat: SimCLR on two halves is not SimCLR on the whole batch', () => {
    torch.manualSeed(1);
    const z1 = torch.randn([8, 4]), z2 = torch.randn([8, 4]);
    const simclr = losses.get('simclr');
    expect(simclr.usesWholeBatch).toBe(true);
    const task2 = TaskSpecs.contrastive();
    const whole = simclr.computeLoss({ views: [z1, z2] }, {}, task2);
    const halves = [[0, 4], [4, 8]].map(([a, b]) => simclr.computeLoss({ views: [z1.index(`${a}:${b}`), z2.index(`${a}:${b}`)] }, {}, task2));
    const split = halves.reduce((s, h) => s + h.loss.item(), 0) / halves.reduce((s, h) => s + losses.itemsOf(h.numItems), 0);
    // fewer negatives per anchor: a different (here smaller) objective
    expect(Math.abs(split - whole.loss.item() / losses.itemsOf(whole.numItems))).toBeGreaterThan(0.05);
  });
});
