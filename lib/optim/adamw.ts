// AdamW (decoupled weight decay), as torch.optim.AdamW; the update runs natively.
import { Optimizer, type GroupOptions, type ParamGroup, type ParamsInput, checkNumber } from './optimizer.js';

export interface AdamWOptions { lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number; amsgrad?: boolean; maximize?: boolean }

export class AdamW extends Optimizer {
  /** Defaults as PyTorch's: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 1e-2. */
  constructor(params: ParamsInput, options: AdamWOptions = {}) {
    super('adamw', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, ...options });
  }

  checkOptions(o: GroupOptions, where: string): void {
    checkNumber(where, 'learning rate', o.lr, 0);
    checkNumber(where, 'epsilon value', o.eps, 0);
    checkNumber(where, 'weight_decay value', o.weightDecay, 0);
    if (o.betas !== undefined) {
      if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new TypeError(`${where}: betas must be [beta1, beta2]`);
      checkNumber(where, 'beta parameter at index 0', o.betas[0], 0, 1);
      checkNumber(where, 'beta parameter at index 1', o.betas[1], 0, 1);
    }
  }

  protected groupDict(g: ParamGroup): Record<string, unknown> {
    return { lr: g.lr, betas: g.betas, eps: g.eps, weight_decay: g.weightDecay, amsgrad: g.amsgrad, maximize: g.maximize };
  }

  protected loadGroupDict(g: ParamGroup, d: Record<string, unknown>): void {
    g.update({ lr: d.lr as number, betas: d.betas as [number, number], eps: d.eps as number, weightDecay: d.weight_decay as number,
      amsgrad: d.amsgrad as boolean, maximize: d.maximize as boolean });
    for (const [k, v] of Object.entries(d)) if (!['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'maximize', 'params'].includes(k) && typeof v === 'number') g.extra[k] = v;
  }
}
