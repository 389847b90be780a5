// The layering of DESIGN.md section 1, checked on the source (no addon needed): only lib/core
// touches the addon object and native handles; lib/core's typed interface declares exactly what
// native/ exports; and no file in lib/ imports itself back through any chain of imports.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lib = path.join(root, 'lib');
const rel = (file: string) => path.relative(root, file);

function walk(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? walk(full, ext) : ext.test(e.name) ? [full] : [];
  });
}

interface SourceFile { file: string; text: string; ast: ts.SourceFile; imports: { specifier: string; names: string[]; line: number }[] }

function parse(file: string): SourceFile {
  const text = readFileSync(file, 'utf8');
  const ast = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const imports: SourceFile['imports'] = [];
  const line = (node: ts.Node) => ast.getLineAndCharacterOfPosition(node.getStart(ast)).line + 1;
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const names: string[] = [];
      if (ts.isImportDeclaration(node)) {
        const clause = node.importClause;
        if (clause?.name) names.push('default');
        const bindings = clause?.namedBindings;
        if (bindings && ts.isNamedImports(bindings)) for (const el of bindings.elements) names.push((el.propertyName ?? el.name).text);
        if (bindings && ts.isNamespaceImport(bindings)) names.push('*');
      } else if (node.exportClause && ts.isNamedExports(node.exportClause)) {
        for (const el of node.exportClause.elements) names.push((el.propertyName ?? el.name).text);
      } else names.push('*');
      imports.push({ specifier: node.moduleSpecifier.text, names, line: line(node) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      imports.push({ specifier: node.arguments[0].text, names: ['*'], line: line(node) });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      imports.push({ specifier: node.argument.literal.text, names: ['*'], line: line(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(ast);
  return { file, text, ast, imports };
}

/** A relative specifier as the .ts file it names, or null for packages and node: modules. */
function resolve(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const target = path.resolve(path.dirname(from), specifier);
  return target.endsWith('.js') ? target.slice(0, -3) + '.ts' : target.endsWith('.ts') ? target : target + '.ts';
}

const files = walk(lib, /\.ts$/).map(parse);
const core = path.join(lib, 'core') + path.sep;
const outsideCore = files.filter((f) => !f.file.startsWith(core));

// Everything in lib/core that holds the addon object or its handle types.
const NATIVE_MODULES = new Set([path.join(lib, 'core/addon.ts'), path.join(lib, 'core/native.ts')]);
// lib/core's internal ways between a Tensor and its handle.
const HANDLE_HELPERS = new Set(['wrap', 'wrapOptional', 'wrapList', 'wrapPair', 'handleOf', 'handlesOf']);

/** Source text without comments and string contents, so a comment mentioning `._h` is no hit. */
function code(f: SourceFile): string {
  let out = '';
  const scanner = ts.createScanner(ts.ScriptTarget.ES2022, false, ts.LanguageVariant.Standard, f.text);
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.StringLiteral || kind === ts.SyntaxKind.NoSubstitutionTemplateLiteral) out += '""';
    else out += scanner.getTokenText();
    out += ' ';
  }
  return out;
}

describe('only lib/core touches the addon', () => {
  it('no file outside lib/core imports the addon object or the native interface', () => {
    const offences = outsideCore.flatMap((f) => f.imports
      .filter((i) => NATIVE_MODULES.has(resolve(f.file, i.specifier) ?? ''))
      .map((i) => `${rel(f.file)}:${i.line} imports ${i.specifier}`));
    expect(offences, `use lib/core's Tensor-level wrappers instead:\n${offences.join('\n')}`).toEqual([]);
  });

  it('no file outside lib/core reads or makes raw tensor handles', () => {
    const offences: string[] = [];
    for (const f of outsideCore) {
      const text = code(f);
      if (/\.\s*_h\b/.test(text)) offences.push(`${rel(f.file)} reads a tensor's ._h`);
      for (const i of f.imports) {
        const target = resolve(f.file, i.specifier);
        if (!target?.startsWith(core)) continue;
        for (const name of i.names.filter((n) => HANDLE_HELPERS.has(n))) offences.push(`${rel(f.file)}:${i.line} imports ${name} from ${i.specifier}`);
      }
    }
    expect(offences, offences.join('\n')).toEqual([]);
  });
});

describe('the typed native interface', () => {
  it('declares exactly the functions native/ exports', () => {
    const exported = new Set<string>();
    for (const file of walk(path.join(root, 'native'), /\.cpp$/)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/TT_EXPORT\(\s*\w+\s*,\s*(\w+)\s*\)/g)) exported.add(m[1]);
    }
    const nativeTs = files.find((f) => f.file === path.join(lib, 'core/native.ts'))!;
    const declared = new Set<string>();
    nativeTs.ast.forEachChild((node) => {
      if (ts.isInterfaceDeclaration(node) && node.name.text === 'NativeAddon') {
        for (const member of node.members) if (member.name && ts.isIdentifier(member.name)) declared.add(member.name.text);
      }
    });
    expect(exported.size).toBeGreaterThan(200);
    expect([...exported].filter((n) => !declared.has(n)).sort(), 'exported by native/ but not declared in lib/core/native.ts').toEqual([]);
    expect([...declared].filter((n) => !exported.has(n)).sort(), 'declared in lib/core/native.ts but not exported by native/').toEqual([]);
  });
});

/** One cycle through each strongly connected component of the import graph, as a path. */
function importCycles(graph: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>(), stack: string[] = [];
  const components: string[][] = [];
  const strongConnect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) components.push(component);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) strongConnect(v);
  // Within a component every file reaches every other: the shortest way back to the start is a cycle.
  return components.map((component) => {
    const members = new Set(component);
    const start = component.sort()[0];
    const previous = new Map<string, string>();
    const queue = [start];
    for (let k = 0; k < queue.length; k++) {
      for (const w of graph.get(queue[k]) ?? []) {
        if (!members.has(w)) continue;
        if (w === start) {
          const cycle = [start];
          for (let at: string | undefined = queue[k]; at !== undefined && at !== start; at = previous.get(at)) cycle.splice(1, 0, at);
          return [...cycle, start];
        }
        if (!previous.has(w)) {
          previous.set(w, queue[k]);
          queue.push(w);
        }
      }
    }
    return [...component, component[0]];
  });
}

describe('the import graph', () => {
  it('has no cycles in lib/ (type-only imports included)', () => {
    const graph = new Map<string, Set<string>>();
    for (const f of files) {
      const edges = new Set<string>();
      for (const i of f.imports) {
        const target = resolve(f.file, i.specifier);
        if (target?.startsWith(lib + path.sep)) edges.add(rel(target));
      }
      graph.set(rel(f.file), edges);
    }
    const cycles = importCycles(graph).map((c) => c.join(' -> '));
    expect(cycles, `import cycles:\n${cycles.join('\n')}`).toEqual([]);
  });
});
