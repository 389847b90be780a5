// Training strategies: how the model's parameters become optimizer groups. Standard trains
// everything (no weight decay on biases and norms). Finetune freezes by name pattern, unfreezes
// gradually on a schedule, decays the learning rate layer by layer from the head down, gives the
// head its own learning rate, and keeps biases and norms free of weight decay.
import { type Module } from '../nn/module.js';
import { type Parameter } from '../nn/parameter.js';
import { type ParamGroupInput } from '../optim/optimizer.js';
import { paramGroupsWithoutDecay } from '../optim/param-groups.js';
import { type TrainingConfig } from './config.js';

export type NamePattern = string | RegExp;

export interface TrainingStrategy {
  readonly name: string;
  /** Freezes what should start frozen and returns the optimizer's parameter groups. */
  paramGroups(model: Module, config: TrainingConfig): ParamGroupInput[];
  /** Called at each epoch start (before its first batch). */
  onEpochStart?(model: Module, epoch: number): void;
}

/** A glob ('encoder.*', '*.bias') or a RegExp, matched against the whole dotted name. */
export function matches(name: string, pattern: NamePattern): boolean {
  if (pattern instanceof RegExp) return pattern.test(name);
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(name);
}

/**
 * The groups without frozen parameters (requiresGrad false: nn.lora.apply, requiresGrad_(false)),
 * so the optimizer holds no state for them, and an error when nothing is left to train.
 */
export function trainableGroups(groups: ParamGroupInput[], model: Module): ParamGroupInput[] {
  const out = groups.map((g) => ({ ...g, params: [...g.params].filter((p) => p.requiresGrad) })).filter((g) => g.params.length > 0);
  if (out.length === 0) {
    throw new RangeError(`Trainer: every parameter of ${model.constructor.name} is frozen (requiresGrad false), so there is nothing to train; unfreeze some (model.requiresGrad_(true), or nn.lora.apply to train adapters)`);
  }
  return out;
}

export class StandardStrategy implements TrainingStrategy {
  readonly name = 'standard';

  paramGroups(model: Module, config: TrainingConfig): ParamGroupInput[] {
    const wd = config.optimizer.weightDecay;
    const groups = config.optimizer.noDecayOnBiasAndNorm ? paramGroupsWithoutDecay(model, wd) : [{ params: model.parameters(), weightDecay: wd }];
    return trainableGroups(groups, model);
  }
}

export interface FinetuneOptions {
  /** Parameters frozen from the start (requiresGrad false). */
  freeze?: NamePattern[];
  /** At the start of the given epoch, unfreeze the parameters matching these patterns. */
  unfreezeSchedule?: { epoch: number; patterns: NamePattern[] }[];
  /** Layer-wise LR decay: a layer k levels below the top trains at lr * layerDecay^k. */
  layerDecay?: number;
  /** The head's learning rate (default: the optimizer's). */
  headLr?: number;
  /** What the head is (default: head, classifier, lm_head, fc at the top level). */
  headPatterns?: NamePattern[];
}

// Numbered layers: layers.N / layer.N, GPT's h.N, ViT's blocks.N, CLIP's resblocks.N, and
// encoder.N (models.Bert) or encoder.layer.N (Hugging Face's BERT).
const LAYER_INDEX = /(?:^|\.)(?:layers?|h|blocks?|resblocks|encoder(?:\.layer)?)\.(\d+)\./;

export class FinetuneStrategy implements TrainingStrategy {
  readonly name = 'finetune';

  constructor(readonly options: FinetuneOptions = {}) {
    const d = options.layerDecay;
    if (d !== undefined && !(d > 0 && d <= 1)) throw new RangeError(`FinetuneStrategy: layerDecay must be in (0, 1], got ${d}`);
  }

  private isHead(name: string): boolean {
    return (this.options.headPatterns ?? ['head.*', 'classifier.*', 'lm_head.*', 'fc.*', 'heads.*']).some((p) => matches(name, p));
  }

  /** 0 for embeddings and anything below the first numbered layer, k+1 for layer k, top+1 for the head. */
  depth(name: string, layers: number): number {
    if (this.isHead(name)) return layers + 1;
    const m = name.match(LAYER_INDEX);
    return m ? Number(m[1]) + 1 : 0;
  }

  paramGroups(model: Module, config: TrainingConfig): ParamGroupInput[] {
    const named = model.namedParameters();
    for (const [name, p] of named) if ((this.options.freeze ?? []).some((pat) => matches(name, pat))) p.requiresGrad_(false);
    const layers = Math.max(0, ...named.map(([n]) => Number(n.match(LAYER_INDEX)?.[1] ?? -1) + 1));
    const baseLr = config.optimizer.lr, decay = this.options.layerDecay ?? 1, wd = config.optimizer.weightDecay;
    const noDecay = new Set(paramGroupsWithoutDecay(model, wd).filter((g) => g.weightDecay === 0).flatMap((g) => [...g.params]));
    const groups = new Map<string, { params: Parameter[]; lr: number; weightDecay: number }>();
    for (const [name, p] of named) {
      const depth = this.depth(name, layers);
      const lr = depth === layers + 1 ? (this.options.headLr ?? baseLr) : baseLr * decay ** (layers + 1 - depth);
      const weightDecay = config.optimizer.noDecayOnBiasAndNorm && noDecay.has(p) ? 0 : wd;
      const key = `${lr}/${weightDecay}`;
      if (!groups.has(key)) groups.set(key, { params: [], lr, weightDecay });
      groups.get(key)!.params.push(p);
    }
    // Parameters an unfreeze schedule may wake up must be in the optimizer from the start.
    return this.options.unfreezeSchedule?.length ? [...groups.values()] : trainableGroups([...groups.values()], model);
  }

  onEpochStart(model: Module, epoch: number): void {
    for (const step of this.options.unfreezeSchedule ?? []) {
      if (step.epoch !== epoch) continue;
      for (const [name, p] of model.namedParameters()) if (step.patterns.some((pat) => matches(name, pat))) p.requiresGrad_(true);
    }
  }
}
