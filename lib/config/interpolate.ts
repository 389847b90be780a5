// ${ENV} interpolation in a config file's string values: `${NAME}` is the variable's value,
// `${NAME:-default}` the default when it is unset or empty (as in the shell), `$${` a literal
// `${`. A value that is one reference alone (`lr: ${LR:-3e-4}`) is read as a YAML scalar after
// substitution, so numbers and booleans keep their type; inside a longer string it stays text.
// A variable that is unset and has no default is an error naming it, the file and the line.
import { parse as parseYaml, visit, type Document, type LineCounter } from 'yaml';
import { runConfigProblem, type ConfigSource } from './errors.js';

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/;

export type Environment = Record<string, string | undefined>;

/** Substitutes references in `text`; `missing` is called for an unset variable without default. */
export function interpolateString(text: string, env: Environment, missing: (name: string) => never): string {
  return text.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const value = env[name!];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    return missing(name!);
  });
}

/** Replaces every reference in the document's string values (keys are left alone), in place. */
export function interpolateDocument(doc: Document, env: Environment, source: ConfigSource, lines: LineCounter): void {
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const line = node.range ? lines.linePos(node.range[0]).line : undefined;
      const missing = (name: string): never => {
        throw runConfigProblem(source, `\${${name}}`, `the environment variable ${name} is not set`,
          `set ${name} (export ${name}=...) or give a default: \${${name}:-value}`, line);
      };
      const text = node.value;
      const substituted = interpolateString(text, env, missing);
      node.value = WHOLE.test(text.trim()) ? scalarValue(substituted) : substituted;
    },
  });
}

/** A substituted value read as YAML would read it when written plainly (1e-3, true, 8). */
function scalarValue(text: string): unknown {
  try {
    const value: unknown = parseYaml(text);
    return value === null || typeof value === 'object' ? text : value;
  } catch {
    return text;
  }
}
