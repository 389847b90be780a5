// The fuzz child's folder: the only place it reads and writes (it chdirs there, and the only
// paths its strings hold are these files). Each file format the API reads is here in a valid
// and a damaged form, so io.load, io.loadSafetensors, jit.load, readIdx and the JSONL datasets
// get real input as well as junk.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { data, io, torch } from '../../lib/index.js';
import { type Sandbox } from './random-values.js';

export const SCRIPT_FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../crash/fixtures/mlp-script.pt');

export function prepareSandbox(dir: string): Sandbox {
  const files: string[] = [];
  const add = (name: string, bytes: Uint8Array | string) => {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    files.push(file);
    return file;
  };
  const weights = { w: torch.randn([3, 2]), b: torch.arange(4), m: torch.ones([2], { dtype: 'bool' }) };
  const st = path.join(dir, 'weights.safetensors');
  io.saveSafetensors(st, weights);
  files.push(st);
  const pt = path.join(dir, 'weights.pt');
  io.save(pt, weights);
  files.push(pt);
  for (const file of [st, pt]) {
    const bytes = readFileSync(file);
    add(`cut-${path.basename(file)}`, bytes.subarray(0, bytes.length >> 1));
    const flipped = Buffer.from(bytes);
    flipped[flipped.length >> 2] ^= 0xff;
    add(`flipped-${path.basename(file)}`, flipped);
  }
  if (existsSync(SCRIPT_FIXTURE)) {
    const script = path.join(dir, 'model.script.pt');
    copyFileSync(SCRIPT_FIXTURE, script);
    files.push(script);
    const bytes = readFileSync(script);
    add('cut-model.script.pt', bytes.subarray(0, bytes.length - 100));
  }
  add('rows.jsonl', '{"x":[1,2],"labels":0}\n{"x":[3,4],"labels":1}\n\n{"x":[5,6],"labels":1}\n');
  add('broken.jsonl', '{"x":[1,2]\n{]\n');
  add('digits.idx', data.encodeIdx({ shape: [2, 2], data: new Uint8Array([1, 2, 3, 4]) }));
  add('empty.bin', '');
  add('text.txt', 'hello world\n');
  for (const t of Object.values(weights)) t.dispose();
  return { dir, files };
}
