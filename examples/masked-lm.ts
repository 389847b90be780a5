// Masked language modelling: a small BERT (models.Bert and its MLM head) learns to fill in
// masked characters of Moby-Dick with BERT's recipe (data.maskedLmCollate: 15% of the characters
// selected, of those 80% become [MASK], 10% a random character, 10% stay), validated on the
// book's last 10% with fixed masks. About 30 s on two cores.
//   npx tsx examples/masked-lm.ts
import { TaskSpecs, Trainer, data, engine, models, torch } from '../lib/index.js';
import { mobyDick } from './datasets.js';

const text = mobyDick();
const tokenizer = data.CharTokenizer.fromText(text);
const ids = Int32Array.from(tokenizer.encode(text));
const maskTokenId = tokenizer.vocabSize; // [MASK]: one id past the characters
const vocabSize = tokenizer.vocabSize + 1;
const cut = Math.floor(ids.length * 0.9);
const blockSize = 16;
const trainCorpus = new data.TextCorpus({ tokens: ids.subarray(0, cut), vocabSize }, { blockSize });
const valCorpus = new data.TextCorpus({ tokens: ids.subarray(cut), vocabSize }, { blockSize });
// masked_lm: the loss counts the selected positions only; accuracy = masked characters right
const task = TaskSpecs.maskedLm({ vocabSize, maskTokenId, metrics: ['loss', 'perplexity', 'accuracy'] });

// A seeded masking collate, new for each use: each held-out check masks the same characters.
const heldOut = () => new data.DataLoader(valCorpus, { batchSize: 256, collate: data.maskedLmCollate({ task, seed: 1 }) });

torch.manualSeed(0);
const model = new models.Bert({ vocabSize, maxLength: blockSize, hidden: 64, layers: 2, heads: 4, intermediate: 128, dropout: 0 });
console.log(`BERT (${model.numParameters().toLocaleString()} parameters), masked-LM on ${cut.toLocaleString()} characters of Moby-Dick`);
const trainer = new Trainer({
  model, task,
  train: new data.DataLoader(trainCorpus, { batchSize: 128, shuffle: true, dropLast: true, collate: data.maskedLmCollate({ task }) }),
  val: heldOut(),
  callbacks: [new engine.ProgressBar({ logEvery: 100 })],
  config: { maxSteps: 1200, evalEveryNSteps: 400, optimizer: { lr: 3e-3, betas: [0.9, 0.99] }, schedule: { name: 'warmup_cosine', warmupSteps: 30 } },
});
const result = await trainer.fit();
const final = await trainer.validate(heldOut());
console.log(`\nheld-out masked characters after ${result.steps} steps: loss ${final.loss!.toFixed(3)} nats, ${(final.accuracy! * 100).toFixed(1)}% right (without context: 3.10 nats, 16% right)`);

// Fill in a masked phrase from the held-out part, greedily.
const phrase = 'the white whale!';
const masked = [...phrase].map((c, i) => (i % 4 === 1 ? maskTokenId : tokenizer.encode(c)[0]!));
model.eval();
const filled = torch.noGrad(() => torch.scope(() => {
  const logits = model.maskedLmLogits(torch.tensor([masked], { dtype: 'int64' }));
  return Array.from(logits.narrow(2, 0, tokenizer.vocabSize).argmax(-1).data() as BigInt64Array, Number);
}));
const show = (xs: number[]) => xs.map((id) => (id === maskTokenId ? '_' : tokenizer.decode([id]))).join('');
console.log(`fill-in: "${show(masked)}" -> "${masked.map((id, i) => (id === maskTokenId ? filled[i]! : id)).map((id) => tokenizer.decode([id])).join('')}"`);
