// The fault tests' job (test/distributed/faults.test.ts): after joining the group, rank 1 either
// dies ('exit') or lives on without ever calling the collective ('stall'); every other rank must
// fail with an error naming the collective and its rank, not hang. Prints one JSON line per rank:
// { rank, error, name } or { rank, ok }.
import { distributed, torch } from '../../../lib/index.js';

const collective = process.argv[2] ?? 'allReduce';
const fault = process.argv[3] ?? 'exit';
distributed.initProcessGroup({ backend: 'gloo', timeout: Number(process.env.TT_TEST_TIMEOUT_MS ?? 5000) });
const rank = distributed.getRank();

function runCollective(): void {
  try {
    const t = torch.ones([1024]);
    if (collective === 'allReduce') distributed.allReduce(t, 'sum');
    else if (collective === 'broadcast') distributed.broadcast(t, 1);
    else if (collective === 'allGather') distributed.allGather(t);
    else distributed.barrier();
    console.log(JSON.stringify({ rank, ok: true }));
  } catch (err) {
    console.log(JSON.stringify({ rank, error: (err as Error).message, name: (err as Error).name }));
  }
  // Exit with the group still alive: the environment's cleanup must not hang on it either.
  process.exit(0);
}

if (rank !== 1) runCollective();
else if (fault === 'exit') process.exit(3);
else setTimeout(() => process.exit(3), 20_000); // outlives the others' timeout
