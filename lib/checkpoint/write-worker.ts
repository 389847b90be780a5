// The background writer's worker thread (started by background-writer.ts): runs each checkpoint
// write it is sent, in order, and answers on its reply port, then bumps the shared counter so a
// main thread blocked in Atomics.wait (a save waiting for the previous one, the end of fit)
// wakes. Imports only files that do not load the addon.
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { describeFailure, runWriteJob, type WriteJob, type WriteReply } from './write-job.js';

const { replies, done } = workerData as { replies: MessagePort; done: Int32Array };

parentPort!.on('message', (job: WriteJob) => {
  let reply: WriteReply;
  try {
    reply = { id: job.id, ok: true, path: runWriteJob(job) };
  } catch (err) {
    reply = { id: job.id, ok: false, failure: describeFailure(err) };
  }
  job.files.length = 0; // the snapshot's buffers can go now
  replies.postMessage(reply);
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
});
