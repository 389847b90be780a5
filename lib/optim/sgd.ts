// SGD with momentum, dampening, Nesterov and weight decay, as torch.optim.SGD; runs natively.
import { Optimizer, type GroupOptions, type ParamGroup, type ParamsInput, checkNumber } from './optimizer.js';

export interface SGDOptions { lr?: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean; maximize?: boolean }

export class SGD extends Optimizer {
  /** Defaults as PyTorch's: lr 1e-3, no momentum, no weight decay. */
  constructor(params: ParamsInput, options: SGDOptions = {}) {
    super('sgd', params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...options });
  }

  checkOptions(o: GroupOptions, where: string): void {
    checkNumber(where, 'learning rate', o.lr, 0);
    checkNumber(where, 'momentum value', o.momentum, 0);
    checkNumber(where, 'dampening value', o.dampening, 0);
    checkNumber(where, 'weight_decay value', o.weightDecay, 0);
    if (o.nesterov && ((o.momentum ?? 0) <= 0 || (o.dampening ?? 0) !== 0)) {
      throw new RangeError(`${where}: Nesterov momentum requires a momentum and zero dampening`);
    }
  }

  protected groupDict(g: ParamGroup): Record<string, unknown> {
    return { lr: g.lr, momentum: g.momentum, dampening: g.dampening, weight_decay: g.weightDecay, nesterov: g.nesterov, maximize: g.maximize };
  }

  protected loadGroupDict(g: ParamGroup, d: Record<string, unknown>): void {
    g.update({ lr: d.lr as number, momentum: d.momentum as number, dampening: d.dampening as number, weightDecay: d.weight_decay as number,
      nesterov: d.nesterov as boolean, maximize: d.maximize as boolean });
    for (const [k, v] of Object.entries(d)) if (!['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'maximize', 'params'].includes(k) && typeof v === 'number') g.extra[k] = v;
  }
}
