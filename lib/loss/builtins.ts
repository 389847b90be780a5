// The built-in losses and their registry names. Each TaskSpec task type's default loss name
// (lib/task/spec.ts) must be among them; the registry tests check that.
import { ImageClassificationLoss, MultilabelLoss, SequenceClassificationLoss } from './classification.js';
import { BarlowTwinsLoss } from './contrastive/barlow-twins.js';
import { CLIPLoss } from './contrastive/clip.js';
import { NTXentLoss } from './contrastive/simclr.js';
import { SupConLoss } from './contrastive/supcon.js';
import { VICRegLoss } from './contrastive/vicreg.js';
import { HuberLoss, L1Loss, MSELoss, SmoothL1Loss } from './regression.js';
import { type LossRegistry } from './registry.js';
import { CausalLMLoss, MaskedLMLoss, TokenClassificationLoss } from './token.js';
import { type LossFactory } from './types.js';

export const BUILTIN_LOSSES: Record<string, LossFactory> = {
  causal_lm: (o) => new CausalLMLoss(o),
  masked_lm: (o) => new MaskedLMLoss(o),
  token_classification: (o) => new TokenClassificationLoss(o),
  seq_classification: (o) => new SequenceClassificationLoss(o),
  image_classification: (o) => new ImageClassificationLoss(o),
  multilabel: (o) => new MultilabelLoss(o),
  mse: (o) => new MSELoss(o),
  l1: (o) => new L1Loss(o),
  huber: (o) => new HuberLoss(o),
  smooth_l1: (o) => new SmoothL1Loss(o),
  clip: (o) => new CLIPLoss(o, 'clip'),
  info_nce: (o) => new CLIPLoss(o, 'info_nce'),
  simclr: (o) => new NTXentLoss(o, 'simclr'),
  nt_xent: (o) => new NTXentLoss(o, 'nt_xent'),
  supcon: (o) => new SupConLoss(o),
  vicreg: (o) => new VICRegLoss(o),
  barlow_twins: (o) => new BarlowTwinsLoss(o),
};

export function registerBuiltins(registry: LossRegistry): void {
  for (const [name, factory] of Object.entries(BUILTIN_LOSSES)) registry.register(name, factory);
}
