// torchrun's environment and initProcessGroup's options, checked before any connection is made.
import { describe, expect, it } from 'vitest';
import { distributed, torch } from '../../lib/index.js';

const env = { MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29500', RANK: '1', WORLD_SIZE: '4', LOCAL_RANK: '1' };

describe('readTorchrunEnvironment', () => {
  it('reads what torchrun sets', () => {
    expect(distributed.readTorchrunEnvironment({ ...env, TORCHELASTIC_USE_AGENT_STORE: 'True', TORCHELASTIC_RESTART_COUNT: '2', GLOO_SOCKET_IFNAME: 'eth0, eth1' }))
      .toEqual({ rank: 1, worldSize: 4, localRank: 1, masterAddr: '10.0.0.1', masterPort: 29500, useAgentStore: true, restartCount: 2, glooInterfaces: ['eth0', 'eth1'] });
  });

  it('says what is missing and how to launch when run outside torchrun', () => {
    expect(() => distributed.readTorchrunEnvironment({})).toThrow(/MASTER_ADDR: not set[\s\S]*RANK: not set[\s\S]*torchrun --nproc-per-node 2 --no-python npx tsx train.ts/);
  });

  it('rejects a rank outside the world and a bad port', () => {
    expect(() => distributed.readTorchrunEnvironment({ ...env, RANK: '4' })).toThrow(/RANK: RANK must be below WORLD_SIZE/);
    expect(() => distributed.readTorchrunEnvironment({ ...env, MASTER_PORT: 'http' })).toThrow(/MASTER_PORT: expected a non-negative integer; given "http"/);
    expect(() => distributed.readTorchrunEnvironment({ ...env, MASTER_PORT: '70000' })).toThrow(/MASTER_PORT/);
  });

  it('lets explicit values override the environment', () => {
    expect(distributed.readTorchrunEnvironment(env, { RANK: '3' }).rank).toBe(3);
  });
});

describe('the process group before initProcessGroup', () => {
  it('is not initialized, and collectives say to initialize it first', () => {
    expect(distributed.isInitialized()).toBe(false);
    expect(() => distributed.getRank()).toThrow(/not initialized; call distributed.initProcessGroup\(\) first/);
    expect(() => distributed.allReduce(torch.ones([2]))).toThrow(/distributed.allReduce: the default process group is not initialized/);
    expect(() => distributed.barrier()).toThrow(/not initialized/);
    distributed.destroyProcessGroup(); // harmless without a group, as after a failed init
  });

  it('checks its options with a fix for each problem', () => {
    expect(() => distributed.initProcessGroup({ backend: 'mpi' as 'gloo' })).toThrow(/backend: .*given "mpi"; fix: use one of "gloo", "nccl"/);
    expect(() => distributed.initProcessGroup({ timeout: -1 })).toThrow(/timeout/);
    expect(() => distributed.initProcessGroup({ timout: 5 } as object)).toThrow(/timout: not an option of initProcessGroup/);
  });

  it('fails a rendezvous nobody joins within the timeout, naming the store', () => {
    // Rank 1 of 2 as a client of a store that does not exist: the connect gives up after the timeout.
    expect(() => distributed.initProcessGroup({ rank: 1, worldSize: 2, masterAddr: '127.0.0.1', masterPort: 9, timeout: 1500 }))
      .toThrow(/^distributed.initProcessGroup failed on rank 1 of 2 \(gloo, store 127.0.0.1:9/);
    expect(distributed.isInitialized()).toBe(false);
  }, 60_000);
});
