// `torchtrain predict`: the model's outputs over a batch source, one JSON line per sample.
//
// What a line holds follows the task (the raw logits of a language model are vocabulary-sized
// per token, too big to be useful as text):
//   single-label classification (seq/image): { index, id?, prediction, probabilities }
//   multilabel classification:               { index, id?, probabilities }  (sigmoid per label)
//   regression:                              { index, id?, prediction }
//   causal/masked LM, token classification:  { index, id?, prediction: [id per position] }
//   contrastive / anything else:             { index, id?, <output key>: row } for each tensor output
import fs from 'node:fs';
import path from 'node:path';
import { noGrad } from '../core/autograd.js';
import { dispose, scope } from '../core/scope.js';
import { Tensor } from '../core/tensor.js';
import { type BatchSource } from '../engine/batch-source.js';
import { type Trainer } from '../engine/trainer.js';
import { type ModelOutput } from '../loss/types.js';
import { type TaskSpec } from '../task/spec.js';

type Row = Record<string, unknown>;

/** One JSON row per sample of a batch's output. */
export function predictionRows(output: ModelOutput, task: Pick<TaskSpec, 'type'>, batchSize: number): Row[] {
  const rows: Row[] = Array.from({ length: batchSize }, () => ({}));
  const put = (key: string, values: unknown[]) => values.forEach((v, i) => { if (rows[i]) rows[i]![key] = v; });
  const logits = output.logits instanceof Tensor ? output.logits : undefined;
  noGrad(() => scope(() => {
    switch (task.type) {
      case 'seq_classification':
      case 'image_classification':
        if (!logits) break;
        put('prediction', logits.argmax(-1).tolist() as unknown[]);
        put('probabilities', logits.float().softmax(-1).tolist() as unknown[]);
        return;
      case 'multilabel_classification':
        if (!logits) break;
        put('probabilities', logits.float().sigmoid().tolist() as unknown[]);
        return;
      case 'regression':
        if (!logits) break;
        put('prediction', (logits.dim() === 2 && logits.shape[1] === 1 ? logits.squeeze(1) : logits).tolist() as unknown[]);
        return;
      case 'causal_lm':
      case 'masked_lm':
      case 'token_classification':
        if (!logits) break;
        put('prediction', logits.argmax(-1).tolist() as unknown[]);
        return;
      default:
        break;
    }
    for (const [key, value] of Object.entries(output)) {
      if (value instanceof Tensor && value.dim() > 0 && value.shape[0] === batchSize) put(key, value.float().tolist() as unknown[]);
    }
  }));
  return rows;
}

/** The number of samples of a batch output: the first dimension of its first batched tensor. */
function batchSizeOf(output: ModelOutput): number {
  for (const v of Object.values(output)) if (v instanceof Tensor && v.dim() > 0) return v.shape[0]!;
  return 0;
}

/** Runs the model over `source` (eval mode, no grad) and writes one JSON line per sample to `out`; returns the count. */
export async function writePredictions(trainer: Trainer, source: BatchSource, out: string, task: Pick<TaskSpec, 'type'>): Promise<number> {
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const temp = `${out}.partial`;
  const fd = fs.openSync(temp, 'w');
  let count = 0;
  try {
    for await (const p of trainer.predictions(source)) {
      try {
        const n = batchSizeOf(p.output);
        const ids = Array.isArray(p.ids) ? p.ids : undefined;
        const rows = predictionRows(p.output, task, n);
        const text = rows.map((r, i) => JSON.stringify({ index: count + i, ...(ids ? { id: ids[i] } : {}), ...r })).join('\n');
        if (rows.length) fs.writeSync(fd, `${text}\n`);
        count += rows.length;
      } finally {
        dispose(p.output);
      }
    }
    fs.closeSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw err;
  }
  // Only a complete file gets the name asked for.
  fs.renameSync(temp, out);
  return count;
}
