// LoraLinear: a frozen nn.Linear plus a trainable low-rank update, laid out as PEFT's
// lora.Linear (base_layer, lora_dropout.default, lora_A.default, lora_B.default), so state-dict
// keys read as PEFT's and an adapter moves between the two by name.
import { noGrad } from '../core/autograd.js';
import { type Tensor, describe } from '../core/tensor.js';
import * as init from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { Dropout } from './layers/activation.js';
import { ModuleDict } from './layers/container.js';
import { Identity, Linear } from './layers/linear.js';

/** PEFT's name for the one adapter a layer carries. */
export const ADAPTER_NAME = 'default';

/**
 * A layer LoRA can wrap: nn.Linear (weight [out, in]) or a GPT-2-style Conv1D (transformers'
 * pytorch_utils.Conv1D: weight [in, out] as `nx` -> `nf`; PEFT's fan_in_fan_out), recognised by shape.
 */
export type LoraBase = Linear | (Module & { weight: Parameter; nx: number; nf: number });

/** Whether a module is a Conv1D in transformers' layout (weight [nx, nf], forward x @ W + b). */
export function isConv1D(m: Module): m is Module & { weight: Parameter; nx: number; nf: number } {
  const c = m as unknown as { weight?: unknown; nx?: unknown; nf?: unknown };
  return !(m instanceof Linear) && typeof c.nx === 'number' && typeof c.nf === 'number' && c.weight instanceof Parameter &&
    c.weight.shape.length === 2 && c.weight.shape[0] === c.nx && c.weight.shape[1] === c.nf;
}

export interface LoraLayerOptions {
  r: number;
  alpha: number;
  dropout: number;
  /** Rank-stabilised scaling alpha / sqrt(r) (PEFT's use_rslora) instead of alpha / r. */
  useRslora: boolean;
}

export class LoraLinear extends Module {
  declare baseLayer: LoraBase;
  declare loraDropout: ModuleDict;
  declare loraA: ModuleDict;
  declare loraB: ModuleDict;
  readonly r: number;
  readonly alpha: number;
  readonly scaling: number;
  /** Whether B @ A * scaling is currently added into the base weight (merge()). */
  merged = false;

  /**
   * Wraps `base` (which keeps its weights). lora_A is Kaiming-uniform (a = sqrt(5)) and lora_B
   * zero, so the wrapped layer starts out computing exactly what base does. The random draws
   * follow PEFT's order (two nn.Linear constructions, then A's re-initialisation), so the same
   * seed gives PEFT's lora_A.
   */
  /** The base weight is [in, out] (Conv1D): the update is transposed when merged (PEFT's fan_in_fan_out). */
  readonly fanInFanOut: boolean;

  constructor(base: LoraBase, options: LoraLayerOptions) {
    super();
    if (!(base instanceof Linear) && !(base instanceof Module && isConv1D(base))) throw new TypeError(`LoraLinear: base must be an nn.Linear or a Conv1D, got ${describe(base)}`);
    const { r, alpha, dropout, useRslora } = options ?? {};
    if (!(Number.isInteger(r) && r > 0)) throw new RangeError(`LoraLinear: r must be a positive integer, got ${describe(r)}`);
    if (!(typeof alpha === 'number' && alpha > 0 && Number.isFinite(alpha))) throw new RangeError(`LoraLinear: alpha must be a positive number, got ${describe(alpha)}`);
    if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) throw new RangeError(`LoraLinear: dropout must be in [0, 1), got ${describe(dropout)}`);
    this.r = r;
    this.alpha = alpha;
    this.scaling = useRslora ? alpha / Math.sqrt(r) : alpha / r;
    this.fanInFanOut = !(base instanceof Linear);
    const [inFeatures, outFeatures] = base instanceof Linear ? [base.inFeatures, base.outFeatures] : [base.nx, base.nf];
    this.registerModule('base_layer', base, 'baseLayer');
    this.registerModule('lora_dropout', new ModuleDict({ [ADAPTER_NAME]: dropout > 0 ? new Dropout(dropout) : new Identity() }), 'loraDropout');
    const a = new Linear(inFeatures, r, { bias: false });
    const b = new Linear(r, outFeatures, { bias: false });
    init.kaimingUniform_(a.weight, { a: Math.sqrt(5) });
    init.zeros_(b.weight);
    const w = base.weight;
    if (w.device !== 'cpu' || w.dtype !== 'float32') {
      a.to({ device: w.device, dtype: w.dtype });
      b.to({ device: w.device, dtype: w.dtype });
    }
    this.registerModule('lora_A', new ModuleDict({ [ADAPTER_NAME]: a }), 'loraA');
    this.registerModule('lora_B', new ModuleDict({ [ADAPTER_NAME]: b }), 'loraB');
  }

  /** The A projection [r, in] (down). */
  get a(): Linear {
    return this.loraA.get(ADAPTER_NAME) as Linear;
  }

  /** The B projection [out, r] (up). */
  get b(): Linear {
    return this.loraB.get(ADAPTER_NAME) as Linear;
  }

  get inFeatures(): number {
    return this.a.weight.shape[1];
  }

  get outFeatures(): number {
    return this.b.weight.shape[0];
  }

  /** base(x) + B(A(dropout(x))) * scaling; just base(x) while merged. */
  forward(input: Tensor): Tensor {
    const result = this.baseLayer.forward(input) as Tensor;
    if (this.merged) return result;
    const dropped = this.loraDropout.get(ADAPTER_NAME).forward(input) as Tensor;
    return result.add(this.b.forward(this.a.forward(dropped)).mul(this.scaling));
  }

  /** The update the adapter makes to the base weight: B @ A * scaling, in the base weight's layout ([out, in], or [in, out] for Conv1D). */
  deltaWeight(): Tensor {
    return noGrad(() => {
      const delta = this.b.weight.matmul(this.a.weight).mul(this.scaling);
      return this.fanInFanOut ? delta.t().contiguous() : delta;
    });
  }

  /** Adds the update into the base weight (forward then skips the adapter path); a no-op when merged. */
  merge(): void {
    if (this.merged) return;
    noGrad(() => {
      const delta = this.deltaWeight();
      this.baseLayer.weight.add_(delta);
      delta.dispose();
    });
    this.merged = true;
  }

  /** Subtracts the update again; a no-op when not merged. */
  unmerge(): void {
    if (!this.merged) return;
    noGrad(() => {
      const delta = this.deltaWeight();
      this.baseLayer.weight.sub_(delta);
      delta.dispose();
    });
    this.merged = false;
  }

  override extraRepr(): string {
    return `r=${this.r}, lora_alpha=${this.alpha}, scaling=${this.scaling}${this.merged ? ', merged=True' : ''}`;
  }
}
