// The named workloads of `torchtrain bench`, in the order they run, and name resolution with a
// clear error (the nearest known name, then all of them) for a typo.
import { nearestName } from '../core/validation.js';
import type { Workload } from './types.js';
import { CONFIG_WORKLOAD } from './workload-config.js';
import { DDP_WORKLOAD } from './workload-ddp.js';
import { MEMORY_WORKLOAD } from './workload-memory.js';
import { NANOGPT_WORKLOAD } from './workload-nanogpt.js';
import { MODEL_WORKLOADS } from './workloads-models.js';
import { PART_WORKLOADS } from './workloads-parts.js';

export const WORKLOADS: readonly Workload[] = [...MODEL_WORKLOADS, ...PART_WORKLOADS, MEMORY_WORKLOAD, NANOGPT_WORKLOAD, DDP_WORKLOAD, CONFIG_WORKLOAD];

export const WORKLOAD_NAMES: readonly string[] = WORKLOADS.map((w) => w.name);

export class UnknownWorkloadError extends Error {
  constructor(readonly workload: string) {
    const near = nearestName(workload, WORKLOAD_NAMES);
    super(`unknown workload '${workload}'${near ? ` (did you mean '${near}'?)` : ''}; the workloads are ${WORKLOAD_NAMES.join(', ')} (torchtrain bench --list describes them)`);
    this.name = 'UnknownWorkloadError';
  }
}

/** The workloads by name (empty: the default set); throws UnknownWorkloadError for an unknown one. */
export function resolveWorkloads(names: readonly string[]): Workload[] {
  if (names.length === 0) return WORKLOADS.filter((w) => w.byDefault);
  return names.map((name) => {
    const w = WORKLOADS.find((x) => x.name === name);
    if (!w) throw new UnknownWorkloadError(name);
    return w;
  });
}
