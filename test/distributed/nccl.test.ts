// The NCCL backend: compiled into CUDA builds (PyPI torch + nvidia-nccl + nvidia-cuda-crt headers,
// see CMakeLists.txt). Without a GPU, initProcessGroup({ backend: 'nccl' }) says so before any
// rendezvous; with one (a GPU machine: scripts/gpu-check.sh), a 1-rank NCCL group all-reduces,
// broadcasts and all-gathers CUDA tensors.
import { afterEach, describe, expect, it } from 'vitest';
import { cuda } from '../../lib/core/device.js';
import { processGroup } from '../../lib/core/process-group.js';
import { distributed, torch } from '../../lib/index.js';
import { freePort } from './launch.js';

const compiled = processGroup.backends().includes('nccl');
if (!compiled) console.warn('\nNCCL is not compiled into this build; the NCCL test checks the error only\n');

afterEach(() => distributed.destroyProcessGroup());

describe('the nccl backend', () => {
  it.skipIf(cuda.isAvailable())('without a GPU: a clear error before the rendezvous', async () => {
    const port = await freePort();
    const init = () => distributed.initProcessGroup({ backend: 'nccl', rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: port, timeout: 5000 });
    expect(init).toThrow(compiled ? /backend 'nccl' reduces CUDA tensors on GPUs, but this process sees no CUDA device.*use backend 'gloo'/ : /backend 'nccl' is not compiled into this build/);
    expect(distributed.isInitialized()).toBe(false);
  });

  it.runIf(cuda.isAvailable() && compiled)('on a GPU: a 1-rank group reduces CUDA tensors', async () => {
    const port = await freePort();
    distributed.initProcessGroup({ backend: 'nccl', rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: port, timeout: 60_000 });
    expect(distributed.getBackend()).toBe('nccl');
    const t = torch.tensor([1, 2, 3], { device: 'cuda' });
    distributed.allReduce(t, 'sum');
    expect([...t.to('cpu').data()]).toEqual([1, 2, 3]);
    distributed.broadcast(t, 0);
    const all = distributed.allGather(t);
    expect(all.length).toBe(1);
    expect(all[0].device.startsWith('cuda')).toBe(true);
    distributed.barrier();
  });
});
