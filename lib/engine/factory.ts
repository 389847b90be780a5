// Builds the optimizer and schedule a TrainingConfig names.
import { AdamW } from '../optim/adamw.js';
import { type Optimizer, type ParamGroupInput } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import { type LRScheduler } from '../optim/schedulers/base.js';
import { OneCycleLR } from '../optim/schedulers/one-cycle.js';
import { StepLR } from '../optim/schedulers/step-lr.js';
import { WarmupConstantLR, WarmupCosineLR, WarmupLinearLR } from '../optim/schedulers/warmup.js';
import { type TrainingConfig } from './config.js';

export function buildOptimizer(config: TrainingConfig, groups: ParamGroupInput[]): Optimizer {
  const o = config.optimizer;
  if (o.name === 'sgd') return new SGD(groups, { lr: o.lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay });
  return new AdamW(groups, { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay });
}

/** The schedule over totalSteps optimizer steps (null for a constant learning rate). */
export function buildScheduler(config: TrainingConfig, optimizer: Optimizer, totalSteps: number): LRScheduler | null {
  const s = config.schedule;
  const warmupSteps = s.warmupSteps ?? Math.round(s.warmupRatio * totalSteps);
  const maxLr = optimizer.paramGroups.map((g) => g.lr);
  switch (s.name) {
    case 'onecycle': {
      // OneCycle warms up from maxLr/divFactor at step 0 to maxLr at step pctStart x totalSteps - 1,
      // so a warm-up needs 2 steps: a shorter one (warmupRatio 0.1 of a 10-step run ends at step 0,
      // where it starts; PyTorch divides by zero) is none, and one of the whole run leaves a step to anneal.
      const warmup = Math.min(warmupSteps, totalSteps - 1);
      const pctStart = warmup < 2 ? 0 : s.warmupSteps === undefined && warmup === warmupSteps ? s.warmupRatio : warmup / totalSteps;
      return new OneCycleLR(optimizer, { maxLr, totalSteps, pctStart,
        divFactor: s.divFactor, finalDivFactor: s.finalDivFactor, cycleMomentum: config.optimizer.name === 'sgd' ? config.optimizer.momentum > 0 : true });
    }
    case 'warmup_cosine': return new WarmupCosineLR(optimizer, { warmupSteps, totalSteps, minLrRatio: s.minLrRatio });
    case 'warmup_linear': return new WarmupLinearLR(optimizer, { warmupSteps, totalSteps });
    case 'warmup_constant': return new WarmupConstantLR(optimizer, { warmupSteps, totalSteps });
    case 'step': return new StepLR(optimizer, s.stepSize, s.gamma);
    case 'constant': return null;
  }
}
