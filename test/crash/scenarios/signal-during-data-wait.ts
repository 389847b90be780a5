// Crash scenario: Trainer.fit() whose data stops coming (HungDataset's get() never settles), in
// a DataLoader worker or on the main thread, so that the process can only be stopped by a
// signal. Prints FIT before fitting, HANG when the data stops, FIT ENDED when fit() is over.
// The test sends the signals; README (Training) documents the outcome: a first SIGINT/SIGTERM
// interrupts the wait and ends fit(), the process exits with 128 + the signal's number (130,
// 143); a second exits at once.
// With `stuck-end`, an onFitEnd hook never settles either, so that only a second signal can end
// the process (the first one's orderly stop waits on that hook).
//   npx tsx test/crash/scenarios/signal-during-data-wait.ts <numWorkers> [stuck-end]
import { Trainer, data, engine, nn, torch } from '../../../lib/index.js';
import { HungDataset } from './hung-dataset.js';

const numWorkers = Number(process.argv[2] ?? 1);
const stuckEnd = process.argv[3] === 'stuck-end';
const hooks = new (class extends engine.DefaultHooks {
  override onFitEnd(): Promise<void> | void {
    process.stdout.write('ON FIT END\n');
    if (stuckEnd) return new Promise<void>(() => {});
  }
})();
torch.manualSeed(0);
const loader = new data.DataLoader(new HungDataset(64, 6), { batchSize: 2, numWorkers });
const trainer = new Trainer({
  model: new nn.Linear(3, 1),
  task: { type: 'regression', fields: { inputs: 'x', labels: 'y' } },
  train: loader,
  config: { maxEpochs: 1, schedule: { name: 'constant' } },
  callbacks: [hooks],
});
// Something else keeps the event loop alive, as in a real program (a server, a logger): the
// process cannot end just because the data wait has nothing left to run.
const keepAlive = setInterval(() => {}, 1000);
process.stdout.write('FIT\n');
const started = Date.now();
try {
  const result = await trainer.fit();
  process.stdout.write(`FIT ENDED ${result.reason} after ${result.steps} steps\n`);
} catch (err) {
  process.stdout.write(`FIT ENDED with ${(err as Error).name}: ${(err as Error).message}\n`);
} finally {
  clearInterval(keepAlive);
  await loader.close();
  process.stdout.write(`CLOSED after ${Date.now() - started} ms\n`);
}
