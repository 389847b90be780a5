// The c10d process group at the Tensor level (native/bind_distributed.cpp): lib/distributed holds
// the policy (torchrun's environment, option checks, gradient buckets) and calls these, never the
// addon. Collectives work in place on their tensors, as torch.distributed's do.
import { native } from './addon.js';
import { type NativeGroupInfo, type NativeReduceOp } from './native.js';
import { type Tensor, handleOf, handlesOf, wrapList } from './tensor.js';

export type { NativeGroupInfo, NativeReduceOp } from './native.js';

export interface ProcessGroupInit {
  backend: 'gloo' | 'nccl';
  rank: number;
  worldSize: number;
  masterAddr: string;
  masterPort: number;
  timeoutMs: number;
  /** Every rank is a client of torchrun's agent store (TORCHELASTIC_USE_AGENT_STORE). */
  useAgentStore: boolean;
  /** A key prefix in the store (torchrun's restarts use one per attempt). */
  storePrefix: string;
  /** Network interfaces for Gloo (GLOO_SOCKET_IFNAME); none: this host's address. */
  interfaces: string[];
}

// The addon prefixes its errors with the binding's name ("distAllReduce: "); the distributed ones
// already name the public function ("distributed.allReduce failed on rank 0 ..."), so it goes.
function run<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    if (err instanceof Error) {
      const cut = err.message.replace(/^dist[A-Za-z]+: (?=distributed\.)/, '');
      if (cut !== err.message) {
        err.stack = err.stack?.replace(err.message, cut);
        err.message = cut;
      }
    }
    throw err;
  }
}

export const processGroup = {
  init(o: ProcessGroupInit): void {
    run(() => native.distInitProcessGroup(o.backend, o.rank, o.worldSize, o.masterAddr, o.masterPort, o.timeoutMs, o.useAgentStore,
      o.storePrefix, o.interfaces));
  },
  isInitialized: (): boolean => native.distIsInitialized(),
  info: (): NativeGroupInfo => native.distGroupInfo(),
  destroy: (): void => native.distDestroyProcessGroup(),
  backends: (): string[] => native.distBackends(),
  allReduce(t: Tensor, op: NativeReduceOp): void {
    const h = handleOf(t, 'distributed.allReduce', 'tensor');
    run(() => native.distAllReduce(h, op));
  },
  broadcast(t: Tensor, src: number): void {
    const h = handleOf(t, 'distributed.broadcast', 'tensor');
    run(() => native.distBroadcast(h, src));
  },
  allGather(t: Tensor): Tensor[] {
    const h = handleOf(t, 'distributed.allGather', 'tensor');
    return wrapList(run(() => native.distAllGather(h)));
  },
  reduceScatter(output: Tensor, inputs: readonly Tensor[], op: NativeReduceOp): void {
    const out = handleOf(output, 'distributed.reduceScatter', 'output');
    const ins = handlesOf(inputs, 'distributed.reduceScatter', 'inputs');
    run(() => native.distReduceScatter(out, ins, op));
  },
  barrier: (): void => run(() => native.distBarrier()),
  /**
   * The group's gradient reducer (native/gradient_reducer.h): all-reduces (sums) gradients bucket
   * by bucket as backward produces them. `buckets` lists parameters in bucket order.
   */
  reducer: {
    attach(buckets: readonly (readonly Tensor[])[]): number {
      const params = handlesOf(buckets.flat(), 'distributed gradient reducer', 'params');
      return run(() => native.distReducerAttach(params, buckets.map((b) => b.length)));
    },
    arm: (): void => run(() => native.distReducerArm()),
    /** Returns how many buckets started their all-reduce during backward (the rest started here). */
    finalize: (): number => run(() => native.distReducerFinalize()),
    detach: (): void => native.distReducerDetach(),
  },
};
