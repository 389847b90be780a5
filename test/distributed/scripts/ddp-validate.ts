// One run of the validation-sharding test (test/distributed/ddp-validation.test.ts): a classifier's
// Trainer.validate() on an uneven-size val set, as a rank of a data-parallel job (WORLD_SIZE set:
// each rank validates its shard, the counts are summed across ranks) or as one plain process.
// Writes <out>/val-<rank>.json: the metrics, and the batches this rank validated.
//   tsx ddp-validate.ts '<json options>'
import fs from 'node:fs';
import path from 'node:path';
import { data, distributed, engine, nn, torch, Trainer } from '../../../lib/index.js';

const o = JSON.parse(process.argv[2]!) as { out: string; samples: number; batch: number; shuffle?: boolean };
const inJob = Number(process.env.WORLD_SIZE ?? 1) > 1;
if (inJob) distributed.initProcessGroup({ timeout: 60_000 });
const rank = inJob ? distributed.getRank() : 0;

torch.manualSeed(11);
const x = torch.randn([o.samples, 4], { dtype: 'float64' });
const labels = x.narrow(1, 0, 3).add(torch.randn([o.samples, 3], { dtype: 'float64' })).argmax(1);
const val = new data.DataLoader(new data.TensorDataset({ x, labels }), { batchSize: o.batch, shuffle: o.shuffle ?? false, seed: 3 });
torch.manualSeed(5);
const model = new nn.Linear(4, 3).to('float64');
let batches = 0;
const hooks = new (class extends engine.DefaultHooks {
  override onValidationBatchEnd() {
    batches += 1;
  }
})();
const trainer = new Trainer({
  model, train: val, val, callbacks: [hooks],
  task: { type: 'seq_classification', numClasses: 3, fields: { inputs: 'x', labels: 'labels' }, metrics: ['loss', 'accuracy', 'f1_macro', 'precision_micro'] },
  config: { maxSteps: 1, device: 'cpu', profileData: false },
});
const metrics = await trainer.validate();
fs.writeFileSync(path.join(o.out, `val-${rank}.json`), JSON.stringify({ rank, metrics, batches, ddp: trainer.core.ddp !== null }));
if (inJob) distributed.destroyProcessGroup();
