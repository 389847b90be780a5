// The default process group: torch.distributed's functions, camelCased (DESIGN.md section 3), on
// c10d's Gloo (CPU) or NCCL (CUDA) through lib/core. One group per process (per JS thread); every
// rank must call the same collectives in the same order, as in PyTorch.
import { z } from 'zod';
import { cuda } from '../core/device.js';
import { processGroup, type NativeReduceOp } from '../core/process-group.js';
import { type Tensor } from '../core/tensor.js';
import { nearestName, parseOrThrow } from '../core/validation.js';
import { LAUNCH_HINT, readTorchrunEnvironment, type TorchrunEnvironment } from './environment.js';

export type Backend = 'gloo' | 'nccl';
export type ReduceOp = NativeReduceOp;
const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'mean', 'max', 'min', 'product'];

/** PyTorch's default timeout of a process group (30 minutes). */
export const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

export interface InitProcessGroupOptions {
  /** 'gloo' (CPU tensors; the default) or 'nccl' (CUDA tensors, CUDA builds only). */
  backend?: Backend;
  /** How long a collective (and the rendezvous) may take before it fails, in milliseconds. */
  timeout?: number;
  /** Instead of the environment's RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT. */
  rank?: number;
  worldSize?: number;
  masterAddr?: string;
  masterPort?: number;
}

const optionsSchema = z.strictObject({
  backend: z.enum(['gloo', 'nccl']).optional(),
  timeout: z.number().int().min(1).max(1e10).optional(),
  rank: z.number().int().min(0).optional(),
  worldSize: z.number().int().min(1).optional(),
  masterAddr: z.string().min(1).optional(),
  masterPort: z.number().int().min(1).max(65535).optional(),
});
const OPTION_KEYS = ['backend', 'timeout', 'rank', 'worldSize', 'masterAddr', 'masterPort'];

let current: (TorchrunEnvironment & { backend: Backend; timeoutMs: number }) | null = null;

/**
 * Joins the job's default process group: every rank meets the others through a TCPStore at
 * MASTER_ADDR:MASTER_PORT (rank 0 serves it, or torchrun's agent does), then the backend connects
 * them all. Blocks until every rank has joined or `timeout` passes.
 */
export function initProcessGroup(options: InitProcessGroupOptions = {}): void {
  const o = parseOrThrow(optionsSchema, options, (issues) => new Error(`distributed.initProcessGroup: bad options:\n` +
    issues.map((i) => `  ${i.text}`).join('\n')), { root: '(options)', known: { owner: 'initProcessGroup', keys: OPTION_KEYS } });
  if (processGroup.isInitialized() || current) {
    throw new Error('distributed.initProcessGroup: the default process group is already initialized; call destroyProcessGroup() first');
  }
  const backend = o.backend ?? 'gloo';
  const compiled = processGroup.backends();
  if (!compiled.includes(backend)) {
    throw new Error(compiled.length === 0
      ? 'distributed: this build of torchtrain has no c10d support: distributed needs the PyPI libtorch (or a libtorch with c10d) and gloo\'s headers (apt-get install libgloo-dev) at build time; then `npm run build:native`'
      : `distributed.initProcessGroup: backend '${backend}' is not compiled into this build (it has ${compiled.join(', ')}); ` +
        (backend === 'nccl' ? 'NCCL needs a CUDA-enabled libtorch and nccl.h (the nvidia-nccl wheel) at build time' : 'rebuild with `npm run build:native`'));
  }
  // Said before the rendezvous: c10d's own message would come after every rank met at the store.
  if (backend === 'nccl' && !cuda.isAvailable()) {
    throw new RangeError('distributed.initProcessGroup: backend \'nccl\' reduces CUDA tensors on GPUs, but this process sees no CUDA device ' +
      '(torch.cuda.isAvailable() is false: no GPU, no driver, or CUDA_VISIBLE_DEVICES hides them); use backend \'gloo\' for CPU training');
  }
  const overrides: Record<string, string> = {};
  if (o.rank !== undefined) overrides.RANK = String(o.rank);
  if (o.worldSize !== undefined) overrides.WORLD_SIZE = String(o.worldSize);
  if (o.masterAddr !== undefined) overrides.MASTER_ADDR = o.masterAddr;
  if (o.masterPort !== undefined) overrides.MASTER_PORT = String(o.masterPort);
  const env = readTorchrunEnvironment(process.env, overrides);
  const timeoutMs = o.timeout ?? DEFAULT_TIMEOUT_MS;
  processGroup.init({
    backend, rank: env.rank, worldSize: env.worldSize, masterAddr: env.masterAddr, masterPort: env.masterPort, timeoutMs,
    useAgentStore: env.useAgentStore,
    // As Python's env:// rendezvous: under torchrun's agent, each restart's keys live apart.
    storePrefix: env.useAgentStore ? `/worker/attempt_${env.restartCount}` : '',
    interfaces: backend === 'gloo' ? env.glooInterfaces : [],
  });
  current = { ...env, backend, timeoutMs };
}

function requireGroup(fn: string): NonNullable<typeof current> {
  if (!current || !processGroup.isInitialized()) {
    throw new Error(`distributed.${fn}: the default process group is not initialized; call distributed.initProcessGroup() first (${LAUNCH_HINT})`);
  }
  return current;
}

export function isInitialized(): boolean {
  return current !== null && processGroup.isInitialized();
}

/** This process's rank in the default group (0 .. worldSize - 1). */
export function getRank(): number {
  return requireGroup('getRank').rank;
}

export function getWorldSize(): number {
  return requireGroup('getWorldSize').worldSize;
}

/** The rank on this machine (torchrun's LOCAL_RANK): which GPU this process uses. */
export function getLocalRank(): number {
  return requireGroup('getLocalRank').localRank;
}

export function getBackend(): Backend {
  return requireGroup('getBackend').backend;
}

const FLOATING = new Set(['float32', 'float64', 'float16', 'bfloat16']);

// Gloo has no AVG: 'mean' is a sum divided by the world size, which integers cannot hold exactly.
function checkMean(op: ReduceOp, t: Tensor, fn: string): void {
  if (op === 'mean' && !FLOATING.has(t.dtype)) {
    throw new RangeError(`distributed.${fn}: 'mean' needs a floating tensor, got ${t.dtype}; reduce with 'sum' and divide, or convert the tensor to float32 first`);
  }
}

function checkOp(op: unknown, fn: string): ReduceOp {
  if (typeof op === 'string' && (REDUCE_OPS as readonly string[]).includes(op)) return op as ReduceOp;
  const near = typeof op === 'string' ? nearestName(op, REDUCE_OPS) : undefined;
  throw new RangeError(`distributed.${fn}: op must be one of ${REDUCE_OPS.map((r) => `'${r}'`).join(', ')}, got ${JSON.stringify(op)}` +
    (near ? `; did you mean '${near}'?` : ''));
}

/** Reduces `t` across ranks, in place on every rank (torch.distributed.all_reduce); returns t. */
export function allReduce(t: Tensor, op: ReduceOp = 'sum'): Tensor {
  requireGroup('allReduce');
  const reduction = checkOp(op, 'allReduce');
  checkMean(reduction, t, 'allReduce');
  processGroup.allReduce(t, reduction);
  return t;
}

/** Copies rank `src`'s `t` into every other rank's `t`, in place; returns t. */
export function broadcast(t: Tensor, src: number): Tensor {
  const g = requireGroup('broadcast');
  if (!Number.isInteger(src) || src < 0 || src >= g.worldSize) {
    throw new RangeError(`distributed.broadcast: src must be a rank in 0..${g.worldSize - 1}, got ${String(src)}`);
  }
  processGroup.broadcast(t, src);
  return t;
}

/** Every rank's `t`, in rank order (new tensors, owned by the current scope). */
export function allGather(t: Tensor): Tensor[] {
  requireGroup('allGather');
  return processGroup.allGather(t);
}

/**
 * Reduces inputs[r] across ranks into rank r's `output` (torch.distributed.reduce_scatter):
 * `inputs` holds one tensor per rank, each of the output's shape and dtype. Returns output.
 */
export function reduceScatter(output: Tensor, inputs: readonly Tensor[], op: ReduceOp = 'sum'): Tensor {
  requireGroup('reduceScatter');
  if (!Array.isArray(inputs)) throw new TypeError('distributed.reduceScatter: inputs must be an array of tensors, one per rank');
  const reduction = checkOp(op, 'reduceScatter');
  checkMean(reduction, output, 'reduceScatter');
  processGroup.reduceScatter(output, inputs, reduction);
  return output;
}

/** Waits until every rank has reached this call. */
export function barrier(): void {
  requireGroup('barrier');
  processGroup.barrier();
}

/** Leaves the group and frees it (its connections and threads); initProcessGroup may follow. */
export function destroyProcessGroup(): void {
  processGroup.destroy();
  current = null;
}
