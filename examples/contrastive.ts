// Contrastive learning: a CLIP-style dual encoder (models.CLIP: a small ViT for images, a causal
// transformer for text) learns to pair real MNIST digits with their names spelled out ("seven"),
// with CLIP's symmetric loss over in-batch negatives. Every batch holds one digit of each class
// (so no two texts in a batch are the same); the metric is image-to-text recall@1 within a
// batch of 10 (chance: 10%). Then zero-shot classification: each held-out digit against all ten
// names. About 30 s on two cores.
//   npx tsx examples/contrastive.ts
import { TaskSpecs, type Tensor, Trainer, data, engine, models, torch } from '../lib/index.js';
import { DIGIT_NAMES, type Digits, OnePerClassSampler, mnistSplit } from './datasets.js';

const tokenizer = data.CharTokenizer.fromText(DIGIT_NAMES.join(''));
const padTokenId = tokenizer.vocabSize;
const { train, test } = mnistSplit({ heldOutPerClass: 100 });
const pairs = (d: Digits) => ({
  length: d.labels.length,
  get: (i: number) => ({ pixel_values: d.images.index(i), input_ids: tokenizer.encode(DIGIT_NAMES[d.labels[i]!]!) }),
});
// contrastive: images and texts by role (pixel_values, input_ids), the `clip` loss, recall@1;
// the collate pads the names with padTokenId and adds their attention mask.
const task = TaskSpecs.contrastive({ padTokenId });

torch.manualSeed(0);
const model = new models.CLIP({
  embedDim: 32,
  image: { imageSize: 28, patchSize: 7, inChannels: 1, dim: 64, depth: 2, heads: 4, mlpDim: 128 },
  text: { vocabSize: padTokenId + 1, contextLength: 8, width: 32, layers: 1, heads: 2 },
});
console.log(`CLIP (${model.numParameters().toLocaleString()} parameters) on ${train.labels.length} digit/name pairs, ${test.labels.length} held out`);
const trainer = new Trainer({
  model, task,
  train: new data.DataLoader(pairs(train), { batchSize: 10, sampler: new OnePerClassSampler(train.labels, 1), collateOptions: { task } }),
  val: new data.DataLoader(pairs(test), { batchSize: 10, sampler: new OnePerClassSampler(test.labels, 2), collateOptions: { task } }),
  callbacks: [new engine.ProgressBar({ logEvery: 200 })],
  config: { maxEpochs: 4, optimizer: { lr: 1e-3 }, schedule: { name: 'onecycle' } },
});
const result = await trainer.fit();
const final = result.epochs.at(-1)!.validation!;
console.log(`\nheld-out image-to-text recall@1 (batches of 10, chance 0.10): ${final['recall@1']!.toFixed(3)}`);

// Zero-shot classification: embed the ten names once, then give each held-out digit the nearest
// one. (Here that is recall@1 again, computed by hand: every batch above held all ten names.)
model.eval();
const names = data.defaultCollate(DIGIT_NAMES.map((n) => ({ input_ids: tokenizer.encode(n) })), { task }) as Record<string, Tensor>;
const correct = torch.noGrad(() => torch.scope(() => {
  const textEmbeds = model.encodeText(names.input_ids!, { attentionMask: names.attention_mask });
  const predicted = model.encodeImage(test.images).matmul(textEmbeds.t()).argmax(1);
  return predicted.eq(torch.tensor(test.labels, { dtype: 'int64' })).sum().item();
}));
console.log(`zero-shot over all ten names: ${correct}/${test.labels.length} held-out digits (${(100 * correct / test.labels.length).toFixed(1)}%)`);
