// torchrun's environment: what every rank reads to find its place in the job. torchrun (and
// torch.distributed.launch, SLURM wrappers, Kubernetes operators) sets these variables; a user
// who launches processes by hand sets the same ones.
import { z } from 'zod';
import { parseOrThrow } from '../core/validation.js';

export const LAUNCH_HINT = 'run under torchrun: torchrun --nproc-per-node 2 --no-python npx tsx train.ts ' +
  '(or set MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE for every process yourself)';

/** Where this process is in the job, as torchrun describes it. */
export interface TorchrunEnvironment {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
  /** torchrun's elastic agent already runs the TCPStore: every rank connects as a client. */
  useAgentStore: boolean;
  /** How often torchrun restarted the workers (--max-restarts); keys of each attempt are separate. */
  restartCount: number;
  /** GLOO_SOCKET_IFNAME's interfaces (comma-separated), as Python's torch.distributed reads them. */
  glooInterfaces: string[];
}

const integerText = (min: number, max: number) =>
  z.string().trim().regex(/^\d+$/, 'expected a non-negative integer').transform(Number)
    .pipe(z.number().int().min(min).max(max));

const environmentSchema = z.object({
  MASTER_ADDR: z.string().trim().min(1),
  MASTER_PORT: integerText(1, 65535),
  RANK: integerText(0, 1 << 20),
  WORLD_SIZE: integerText(1, 1 << 20),
  LOCAL_RANK: integerText(0, 1 << 20).optional(),
  TORCHELASTIC_USE_AGENT_STORE: z.string().optional(),
  TORCHELASTIC_RESTART_COUNT: integerText(0, 1 << 30).optional(),
  GLOO_SOCKET_IFNAME: z.string().optional(),
}).refine((e) => e.RANK < e.WORLD_SIZE, { message: 'RANK must be below WORLD_SIZE', path: ['RANK'] });

/** The variables that say where a rank is; `overrides` (from initProcessGroup's options) win. */
export function readTorchrunEnvironment(env: Readonly<Record<string, string | undefined>>, overrides: Partial<Record<'MASTER_ADDR' | 'MASTER_PORT' | 'RANK' | 'WORLD_SIZE', string>> = {}): TorchrunEnvironment {
  const input: Record<string, string | undefined> = {};
  for (const key of ['MASTER_ADDR', 'MASTER_PORT', 'RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'TORCHELASTIC_USE_AGENT_STORE',
    'TORCHELASTIC_RESTART_COUNT', 'GLOO_SOCKET_IFNAME'] as const) {
    const value = overrides[key as keyof typeof overrides] ?? env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const e = parseOrThrow(environmentSchema, input, (issues) => new Error(
    `distributed.initProcessGroup: the environment does not say where this process is in the job:\n` +
    issues.map((i) => `  ${i.field}: ${i.given === 'nothing' ? 'not set' : `${i.expected}; given ${i.given}`}`).join('\n') +
    `\nFix: ${LAUNCH_HINT}.`), { root: '(environment)' });
  const agent = (e.TORCHELASTIC_USE_AGENT_STORE ?? '').toLowerCase();
  return {
    rank: e.RANK,
    worldSize: e.WORLD_SIZE,
    localRank: e.LOCAL_RANK ?? e.RANK,
    masterAddr: e.MASTER_ADDR,
    masterPort: e.MASTER_PORT,
    useAgentStore: agent === 'true' || agent === '1',
    restartCount: e.TORCHELASTIC_RESTART_COUNT ?? 0,
    glooInterfaces: (e.GLOO_SOCKET_IFNAME ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0),
  };
}
