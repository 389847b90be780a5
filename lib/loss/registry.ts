// The loss registry: names -> factories. TaskSpec.loss.name picks a loss by name (built-in or
// registered by the user), so a config file can switch losses without code, and a user's
// strategy plugs in exactly as a built-in does. A factory takes the options object and checks
// it (built-ins with zod), so bad options fail when the loss is built, before any training.
import { type TaskSpec } from '../task/spec.js';
import { type LossFactory, type LossStrategy } from './types.js';

/** A loss name nobody registered; `known` lists the names that are. */
export class UnknownLossError extends Error {
  constructor(readonly lossName: string, readonly known: string[]) {
    super(`unknown loss '${lossName}'; known losses: ${known.join(', ')}; fix: use one of them, or register yours first with losses.register('${lossName}', options => strategy)`);
    this.name = 'UnknownLossError';
  }
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

export class LossRegistry {
  private readonly factories = new Map<string, LossFactory>();

  /**
   * Registers a factory under a name. Taking a name that is already registered is an error
   * unless `replace` is set, so that two plugins cannot silently shadow each other (or a built-in).
   */
  register(name: string, factory: LossFactory, options: { replace?: boolean } = {}): void {
    if (typeof name !== 'string' || !/^\S+$/.test(name)) throw new TypeError(`losses.register: name must be a non-empty string without spaces, got ${JSON.stringify(name)}`);
    if (typeof factory !== 'function') {
      throw new TypeError(`losses.register('${name}'): factory must be a function (options) => LossStrategy, got ${describe(factory)}`);
    }
    if (this.factories.has(name) && !options.replace) {
      throw new Error(`losses.register: a loss named '${name}' is already registered; fix: choose another name, or pass { replace: true } to replace it`);
    }
    this.factories.set(name, factory);
  }

  /** Removes a registered loss; returns whether there was one. */
  unregister(name: string): boolean {
    return this.factories.delete(name);
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  /** The registered names, sorted. */
  list(): string[] {
    return [...this.factories.keys()].sort();
  }

  /** Builds the loss registered under `name` with `options` (checked by its factory). */
  get(name: string, options: Record<string, unknown> = {}): LossStrategy {
    const factory = this.factories.get(name);
    if (!factory) throw new UnknownLossError(String(name), this.list());
    const strategy = factory(options);
    if (!strategy || typeof strategy !== 'object' || typeof strategy.computeLoss !== 'function' || typeof strategy.name !== 'string') {
      throw new TypeError(`losses.get('${name}'): its factory returned ${describe(strategy)}, not a LossStrategy; `
        + 'fix: make the factory return an object with a name and computeLoss(output, batch, task) => { loss, numItems }');
    }
    return strategy;
  }

  /** The loss a TaskSpec asks for: task.loss.name with task.loss.options. */
  forTask(task: TaskSpec): LossStrategy {
    if (!task || typeof task !== 'object' || !task.loss) {
      throw new TypeError('lossForTask: expected a parsed TaskSpec (from parseTaskSpec or TaskSpecs.*), which always names a loss');
    }
    return this.get(task.loss.name, task.loss.options);
  }
}
