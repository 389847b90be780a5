// GradientMonitor: the health of the gradients before an update: the global norm, a norm per
// layer (module), which parameters hold inf/NaN, and vanishing / exploding flags.
import { noGrad } from '../core/autograd.js';
import { scope } from '../core/scope.js';
import { type Module } from '../nn/module.js';

export interface GradientHealth {
  globalNorm: number;
  /** Norm of each layer's gradients, keyed by the module's dotted name. */
  perLayer: Record<string, number>;
  /** Parameters whose gradient holds inf or NaN. */
  nonFinite: string[];
  /** The global norm fell below the vanishing threshold. */
  vanishing: boolean;
  /** The global norm rose above the exploding threshold. */
  exploding: boolean;
}

export interface GradientMonitorOptions { vanishingThreshold?: number; explodingThreshold?: number; perLayer?: boolean }

export class GradientMonitor {
  readonly vanishingThreshold: number;
  readonly explodingThreshold: number;
  readonly perLayer: boolean;

  constructor(options: GradientMonitorOptions = {}) {
    this.vanishingThreshold = options.vanishingThreshold ?? 1e-7;
    this.explodingThreshold = options.explodingThreshold ?? 1e3;
    this.perLayer = options.perLayer ?? true;
  }

  /** Reads the current gradients (call after backward, before the optimizer step clears them). */
  check(model: Module): GradientHealth {
    return noGrad(() => scope(() => {
      const layers = new Map<string, number>();
      const nonFinite: string[] = [];
      let total = 0;
      for (const [name, p] of model.namedParameters()) {
        const g = p.grad;
        if (!g) continue;
        const sq = g.float().square().sum().item();
        if (!Number.isFinite(sq)) nonFinite.push(name);
        total += sq;
        if (this.perLayer) {
          const layer = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '(root)';
          layers.set(layer, (layers.get(layer) ?? 0) + sq);
        }
      }
      const globalNorm = Math.sqrt(total);
      const perLayer = Object.fromEntries([...layers].map(([k, v]) => [k, Math.sqrt(v)]));
      return { globalNorm, perLayer, nonFinite, vanishing: globalNorm < this.vanishingThreshold, exploding: !Number.isFinite(globalNorm) || globalNorm > this.explodingThreshold };
    }));
  }
}
