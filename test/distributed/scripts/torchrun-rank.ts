// One rank under the real torchrun (test/distributed/torchrun.test.ts).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { distributed, torch } from '../../../lib/index.js';

distributed.initProcessGroup({ timeout: 60_000 });
const rank = distributed.getRank();
const sum = distributed.allReduce(torch.full([3], rank + 1), 'sum');
const gathered = distributed.allGather(torch.tensor([rank], { dtype: 'int64' })).map((t) => Number(t.item()));
distributed.barrier();
writeFileSync(path.join(process.argv[2], `rank-${rank}.json`), JSON.stringify({
  rank, worldSize: distributed.getWorldSize(), localRank: distributed.getLocalRank(),
  agentStore: process.env.TORCHELASTIC_USE_AGENT_STORE === 'True', sum: sum.tolist(), gathered,
}));
distributed.destroyProcessGroup();
