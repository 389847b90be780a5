// Sequential, ModuleList and ModuleDict: children keyed '0', '1', ... or by name, as in PyTorch.
import { Module } from '../module.js';

export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m));
  }

  get length(): number {
    return this.children().length;
  }

  at(index: number): Module {
    const children = this.children();
    const m = children[index < 0 ? index + children.length : index];
    if (!m) throw new RangeError(`Sequential: index ${index} is out of range for ${children.length} modules`);
    return m;
  }

  append(module: Module): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  forward(input: unknown): any {
    let x = input;
    for (const m of this.children()) x = m.forward(x);
    return x;
  }
}

export class ModuleList extends Module {
  constructor(modules: Module[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }

  get length(): number {
    return this.children().length;
  }

  at(index: number): Module {
    const children = this.children();
    const m = children[index < 0 ? index + children.length : index];
    if (!m) throw new RangeError(`ModuleList: index ${index} is out of range for ${children.length} modules`);
    return m;
  }

  append(module: Module): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }

  forward(): never {
    throw new Error('ModuleList has no forward(); iterate over its modules instead');
  }
}

export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> = {}) {
    super();
    for (const [name, m] of Object.entries(modules)) this.registerModule(name, m);
  }

  get(name: string): Module {
    const found = this.namedChildren().find(([n]) => n === name);
    if (!found) throw new RangeError(`ModuleDict: no module '${name}' (has: ${this.keys().join(', ')})`);
    return found[1];
  }

  set(name: string, module: Module): this {
    this.registerModule(name, module);
    return this;
  }

  keys(): string[] {
    return this.namedChildren().map(([n]) => n);
  }

  forward(): never {
    throw new Error('ModuleDict has no forward(); call its modules instead');
  }
}
