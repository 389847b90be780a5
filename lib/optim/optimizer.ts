// The optimizer base: parameter groups held natively (the update runs in C++), PyTorch's
// param_groups / state_dict shapes, and option checks with clear errors.
import { type NativeGroupOptions, NativeOptimizer } from '../core/native-optimizer.js';
import { type Tensor, describe } from '../core/tensor.js';
import { Parameter } from '../nn/parameter.js';

export interface GroupOptions {
  lr?: number;
  weightDecay?: number;
  betas?: [number, number];
  eps?: number;
  amsgrad?: boolean;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

export type ParamGroupInput = { params: Iterable<Parameter> } & GroupOptions;
export type ParamsInput = Iterable<Parameter> | ParamGroupInput[];

type NativeOptions = NativeGroupOptions;

/** One parameter group: its parameters and live options (assignments reach the native optimizer). */
export class ParamGroup {
  /** Extra per-group values that schedulers keep (initial_lr, max_lr, ...), as PyTorch keeps them in the group dict. */
  readonly extra: Record<string, number> = {};

  constructor(private readonly owner: Optimizer, readonly index: number, readonly params: Parameter[]) {}

  private get(): NativeOptions {
    return this.owner.native.getGroup(this.index);
  }

  /** Changes some options of this group (checked as the constructor checks them). */
  update(options: GroupOptions): void {
    this.owner.checkOptions(options, `paramGroups[${this.index}]`);
    this.owner.native.setGroup(this.index, toNative(options));
  }

  /**
   * @internal A schedule's values, unchecked as PyTorch leaves them: one step past a linear
   * one-cycle's end extrapolates below zero, for an update that never runs.
   */
  setScheduled(lr: number, momentum?: { betas?: [number, number]; momentum?: number }): void {
    this.owner.native.setGroup(this.index, toNative({ lr, ...momentum }));
  }

  get lr(): number { return this.get().lr; }
  set lr(v: number) { this.update({ lr: v }); }
  get weightDecay(): number { return this.get().weightDecay; }
  set weightDecay(v: number) { this.update({ weightDecay: v }); }
  get betas(): [number, number] { const o = this.get(); return [o.beta1, o.beta2]; }
  set betas(v: [number, number]) { this.update({ betas: v }); }
  get eps(): number { return this.get().eps; }
  set eps(v: number) { this.update({ eps: v }); }
  get amsgrad(): boolean { return this.get().amsgrad; }
  get momentum(): number { return this.get().momentum; }
  set momentum(v: number) { this.update({ momentum: v }); }
  get dampening(): number { return this.get().dampening; }
  get nesterov(): boolean { return this.get().nesterov; }
  get maximize(): boolean { return this.get().maximize; }
}

function toNative(o: GroupOptions): Partial<NativeOptions> {
  const out: Partial<NativeOptions> = {};
  for (const key of ['lr', 'weightDecay', 'eps', 'amsgrad', 'momentum', 'dampening', 'nesterov', 'maximize'] as const) {
    if (o[key] !== undefined) (out as Record<string, unknown>)[key] = o[key];
  }
  if (o.betas) [out.beta1, out.beta2] = o.betas;
  return out;
}

export type OptimizerState = Record<number, Record<string, Tensor>>;
export interface OptimizerStateDict { state: OptimizerState; param_groups: Record<string, unknown>[] }

export abstract class Optimizer {
  /** The native optimizer holding the groups, options and state (the engine's optimizerStep runs it). */
  readonly native: NativeOptimizer;
  readonly paramGroups: ParamGroup[] = [];

  protected constructor(kind: 'adamw' | 'sgd', params: ParamsInput, readonly defaults: GroupOptions) {
    this.checkOptions(defaults, this.constructor.name);
    this.native = new NativeOptimizer(kind);
    const input = [...(params as Iterable<unknown>)];
    if (input.length === 0) throw new RangeError(`${this.constructor.name}: got an empty parameter list`);
    const isGroup = (v: unknown) => v !== null && typeof v === 'object' && 'params' in (v as object);
    const groups = input.every(isGroup) ? (input as ParamGroupInput[]) : [{ params: input as Parameter[] }];
    for (const g of groups) this.addParamGroup(g);
  }

  /** PyTorch's checks, with the option's name, value and the allowed range. */
  abstract checkOptions(options: GroupOptions, where: string): void;

  /** Adds a group; options it leaves out take the optimizer's defaults. */
  addParamGroup(group: ParamGroupInput): void {
    if (!group || typeof group !== 'object' || !('params' in group)) throw new TypeError(`${this.constructor.name}.addParamGroup: expected { params, ...options }, got ${describe(group)}`);
    const params = [...group.params];
    params.forEach((p, i) => {
      if (!(p instanceof Parameter)) throw new TypeError(`${this.constructor.name}: params[${i}] is ${describe(p)}, not an nn.Parameter`);
      if (!p.isLeaf) throw new RangeError(`${this.constructor.name}: can't optimize a non-leaf Tensor (params[${i}])`);
    });
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => seen.has(p))) throw new RangeError(`${this.constructor.name}: some parameters appear in more than one parameter group`);
    const options = { ...this.defaults, ...group, params: undefined };
    this.checkOptions(options, `${this.constructor.name} param group ${this.paramGroups.length}`);
    const index = this.native.addGroup(params, toNative(options));
    this.paramGroups.push(new ParamGroup(this, index, params));
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    this.native.step();
  }

  /** Clears gradients: to null (the default, as in PyTorch 2) or to zeros. */
  zeroGrad(setToNone = true): void {
    this.native.zeroGrad(setToNone);
  }

  /** PyTorch's state dict: per-parameter state by index, and each group's options with its parameter indices. */
  stateDict(): OptimizerStateDict {
    const state: OptimizerState = {};
    this.native.getState().forEach((entry, i) => {
      if (Object.keys(entry).length) state[i] = entry;
    });
    let next = 0;
    const param_groups = this.paramGroups.map((g) => ({ ...this.groupDict(g), ...g.extra, params: g.params.map(() => next++) }));
    return { state, param_groups };
  }

  protected abstract groupDict(group: ParamGroup): Record<string, unknown>;

  /** Restores a state dict from stateDict() (same groups and parameter counts). */
  loadStateDict(sd: OptimizerStateDict): void {
    if (!sd || typeof sd !== 'object' || !Array.isArray(sd.param_groups) || typeof sd.state !== 'object') {
      throw new TypeError(`${this.constructor.name}.loadStateDict: expected { state, param_groups }, got ${describe(sd)}`);
    }
    if (sd.param_groups.length !== this.paramGroups.length) throw new RangeError(`loaded state dict has ${sd.param_groups.length} parameter groups; this optimizer has ${this.paramGroups.length}`);
    sd.param_groups.forEach((g, i) => {
      const n = (g.params as unknown[] | undefined)?.length;
      if (n !== this.paramGroups[i].params.length) throw new RangeError(`loaded state dict's group ${i} has ${n} parameters; this optimizer's has ${this.paramGroups[i].params.length}`);
    });
    sd.param_groups.forEach((g, i) => this.loadGroupDict(this.paramGroups[i], g));
    for (const [index, entries] of Object.entries(sd.state)) {
      for (const [name, t] of Object.entries(entries)) this.native.setState(Number(index), name, t);
    }
  }

  protected abstract loadGroupDict(group: ParamGroup, dict: Record<string, unknown>): void;

  /** Frees the native optimizer (its state tensors go with it). */
  dispose(): void {
    this.native.free();
  }
}

/** A finite number at least `min` (and below `max` when given), or a RangeError naming it. */
export function checkNumber(where: string, name: string, value: unknown, min: number, max?: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (max !== undefined && value >= max)) {
    throw new RangeError(`${where}: invalid ${name}: ${String(value)} (expected a number${max !== undefined ? ` in [${min}, ${max})` : ` >= ${min}`})`);
  }
}
