// One rank of the multi-node test (test/distributed/multinode.test.ts): each node is a network
// namespace with its own torchrun agent; this rank runs collectives across them and writes what
// it saw to <out>/rank-<rank>.json for the test to check.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { distributed, torch } from '../../../lib/index.js';

const ELEMENTS = 1 << 20; // 4 MB of float32: enough to show on the veth's byte counters

distributed.initProcessGroup({ backend: 'gloo', timeout: 120_000 });
const rank = distributed.getRank(), world = distributed.getWorldSize();
const summed = distributed.allReduce(torch.full([ELEMENTS], rank + 1), 'sum');
const sumMin = Number(summed.min().item()), sumMax = Number(summed.max().item());
const gathered = distributed.allGather(torch.tensor([rank, Number(process.env.GROUP_RANK)], { dtype: 'int64' }))
  .map((t) => (t.tolist() as number[]).map(Number));
const fromLast = distributed.broadcast(torch.full([3], rank === world - 1 ? 42 : -1), world - 1);
distributed.barrier();
writeFileSync(path.join(process.argv[2], `rank-${rank}.json`), JSON.stringify({
  rank, worldSize: world, localRank: distributed.getLocalRank(), groupRank: Number(process.env.GROUP_RANK),
  masterAddr: process.env.MASTER_ADDR, sumMin, sumMax, gathered, broadcast: fromLast.tolist(),
}));
distributed.destroyProcessGroup();
