// A minimal Adam (Kingma & Ba 2015, as torch.optim.Adam without weight decay or amsgrad) so the
// model zoo's tests can train before lib/optim exists, plus the loop they share. The update
// runs under noGrad; its temporaries live in a scope per parameter; the moments are kept out
// of every scope (they must outlive the step that made them).
import { type Tensor, type nn, torch } from '../../lib/index.js';

export interface TinyAdamOptions { lr?: number; betas?: [number, number]; eps?: number }

export class TinyAdam {
  lr: number;
  private readonly betas: [number, number];
  private readonly eps: number;
  private readonly moments = new Map<nn.Parameter, { m: Tensor; v: Tensor }>();
  private steps = 0;

  constructor(readonly params: nn.Parameter[], options: TinyAdamOptions = {}) {
    this.lr = options.lr ?? 1e-3;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
  }

  step(): void {
    this.steps++;
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** this.steps, bc2 = 1 - b2 ** this.steps;
    torch.noGrad(() => {
      for (const p of this.params) {
        torch.scope(() => {
          const g = p.grad;
          if (!g) return; // unused this step (e.g. a head the loss did not touch)
          let state = this.moments.get(p);
          if (!state) {
            state = { m: torch.keep(torch.zerosLike(p)), v: torch.keep(torch.zerosLike(p)) };
            this.moments.set(p, state);
          }
          state.m.mul_(b1).add_(g, { alpha: 1 - b1 });
          state.v.mul_(b2).addcmul_(g, g, { value: 1 - b2 });
          const denom = state.v.sqrt().div_(Math.sqrt(bc2)).add_(this.eps);
          p.addcdiv_(state.m, denom, { value: -this.lr / bc1 });
        });
      }
    });
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) (m.dispose(), v.dispose());
    this.moments.clear();
  }
}

/**
 * Runs `steps` optimisation steps (each in its own scope, so memory stays flat) and returns
 * the loss of every step. `loss(step)` builds the batch and returns the scalar loss.
 */
export function train(model: nn.Module, steps: number, loss: (step: number) => Tensor, options: TinyAdamOptions = {}): number[] {
  const opt = new TinyAdam(model.parameters(), options);
  const losses: number[] = [];
  model.train();
  try {
    for (let i = 0; i < steps; i++) {
      torch.scope(() => {
        opt.zeroGrad();
        const l = loss(i);
        l.backward();
        opt.step();
        losses.push(l.item());
      });
    }
  } finally {
    opt.zeroGrad();
    opt.dispose();
  }
  // For tuning the tests' bounds: TRAIN_LOG=1 prints each run's smoothed start and end loss.
  if (process.env.TRAIN_LOG) console.log(`${model.constructor.name}: ${steps} steps, loss ${meanOf(losses, 5, 'start').toFixed(3)} -> ${meanOf(losses, 5, 'end').toFixed(3)}`);
  return losses;
}

/** Mean of the first or last n values (a smoothed start/end loss; single steps are noisy). */
export const meanOf = (values: number[], n: number, from: 'start' | 'end'): number => {
  const part = from === 'start' ? values.slice(0, n) : values.slice(-n);
  return part.reduce((a, b) => a + b, 0) / part.length;
};
