// A model summary: each submodule with its output shape and parameter count, from one forward
// pass (like torchinfo). It runs the forward under noGrad and frees everything it made.
import { noGrad } from '../core/autograd.js';
import { scope } from '../core/scope.js';
import { Tensor } from '../core/tensor.js';
import { Module } from './module.js';

declare module './module.js' {
  interface Module {
    /** A table of layers, output shapes and parameter counts from one forward(...inputs). */
    summary(...inputs: unknown[]): string;
  }
}

function shapeOf(value: unknown): string {
  if (value instanceof Tensor) return `[${value.shape.join(', ')}]`;
  if (Array.isArray(value)) return value.map(shapeOf).join(', ');
  return value === null || value === undefined ? '-' : typeof value;
}

export function summary(model: Module, ...inputs: unknown[]): string {
  const rows: { name: string; type: string; shape: string; params: number; depth: number }[] = [];
  const modules = model.namedModules();
  const restore: (() => void)[] = [];
  for (const [name, m] of modules) {
    const row = { name: name || '(model)', type: m.constructor.name, shape: '-', params: m.numParameters(), depth: name ? name.split('.').length : 0 };
    rows.push(row);
    const original = m.forward;
    // An instance property shadows the class's forward just for this pass.
    Object.defineProperty(m, 'forward', {
      configurable: true, enumerable: false, writable: true,
      value: (...args: unknown[]) => {
        const out = original.apply(m, args);
        row.shape = shapeOf(out);
        return out;
      },
    });
    restore.push(() => delete (m as unknown as Record<string, unknown>).forward);
  }
  try {
    noGrad(() => scope(() => void model.forward(...inputs)));
  } finally {
    for (const r of restore) r();
  }
  const header = ['Layer (type)', 'Output shape', 'Param #'];
  const table = rows.map((r) => [`${'  '.repeat(r.depth)}${r.name} (${r.type})`, r.shape, r.params.toLocaleString('en-US')]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const total = model.numParameters(), trainable = model.numParameters({ trainableOnly: true });
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [rule, line(header), rule, ...table.map(line), rule,
    `Total params: ${total.toLocaleString('en-US')}`, `Trainable params: ${trainable.toLocaleString('en-US')}`,
    `Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`, rule].join('\n');
}

Module.prototype.summary = function (this: Module, ...inputs: unknown[]): string {
  return summary(this, ...inputs);
};
