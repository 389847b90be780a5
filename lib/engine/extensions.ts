// Extensions: named bundles of hooks with their own state, enabled by name from the config
// (`extensions: ['ema']`); checkpoints save and restore their state.
import { type TrainingHooks } from './hooks.js';

export interface Extension extends TrainingHooks {
  readonly name: string;
  stateDict?(): Record<string, unknown>;
  loadStateDict?(state: Record<string, unknown>): void;
}

const registry = new Map<string, () => Extension>();

export const extensions = {
  register(name: string, factory: () => Extension): void {
    if (typeof name !== 'string' || !name) throw new TypeError('extensions.register: the name must be a non-empty string');
    if (typeof factory !== 'function') throw new TypeError(`extensions.register('${name}'): expected a factory function`);
    registry.set(name, factory);
  },
  create(name: string): Extension {
    const factory = registry.get(name);
    if (!factory) throw new RangeError(`unknown extension '${name}'; registered: ${[...registry.keys()].join(', ') || 'none'} (register it with extensions.register)`);
    return factory();
  },
  list(): string[] {
    return [...registry.keys()];
  },
};
