// The weights of a Hugging Face folder: model.safetensors, sharded safetensors
// (model.safetensors.index.json + model-0000N-of-0000M.safetensors), or pytorch_model.bin (and
// its sharded index), read by name; and written back as transformers writes them, sharded when
// larger than maxShardSize.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type Tensor } from '../core/tensor.js';
import { parseOrThrow } from '../core/validation.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import { load as torchLoad } from '../io/torch-load.js';
import { writeFileAtomic } from '../io/file-io.js';

const indexSchema = z.looseObject({
  metadata: z.looseObject({ total_size: z.number().optional() }).optional(),
  weight_map: z.record(z.string(), z.string().regex(/^[^/\\]+$/, 'a file name inside the folder')),
});

/** Where a folder's weights are, in transformers' order of preference. */
const SOURCES = [
  { file: 'model.safetensors', sharded: false, read: loadSafetensors },
  { file: 'model.safetensors.index.json', sharded: true, read: loadSafetensors },
  { file: 'pytorch_model.bin', sharded: false, read: torchLoad },
  { file: 'pytorch_model.bin.index.json', sharded: true, read: torchLoad },
] as const;

/** Every tensor of the folder's weights, by its name in the checkpoint, and the file(s) read. */
export function readFolderWeights(dir: string): { state: Record<string, Tensor>; files: string[] } {
  for (const source of SOURCES) {
    const file = path.join(dir, source.file);
    if (!existsSync(file)) continue;
    if (!source.sharded) return { state: source.read(file), files: [file] };
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`hf.fromPretrained: ${file} is not valid JSON (${(err as Error).message}); re-save the model`);
    }
    const index = parseOrThrow(indexSchema, raw, (issues) => new Error(`hf.fromPretrained: ${file} is not a shard index:\n  ${issues.map((i) => i.text).join('\n  ')}`));
    const shards = [...new Set(Object.values(index.weight_map))];
    const state: Record<string, Tensor> = {};
    for (const shard of shards) {
      const shardFile = path.join(dir, shard);
      if (!existsSync(shardFile)) throw new Error(`hf.fromPretrained: ${file} lists ${shard}, which is not in ${dir}; copy the missing shard`);
      const tensors = source.read(shardFile);
      for (const [key, t] of Object.entries(tensors)) {
        if (index.weight_map[key] === shard) state[key] = t;
        else t.dispose();
      }
    }
    const absent = Object.keys(index.weight_map).filter((k) => !(k in state));
    if (absent.length) throw new Error(`hf.fromPretrained: ${file} maps ${absent.slice(0, 5).join(', ')}${absent.length > 5 ? ` and ${absent.length - 5} more` : ''} to shards that do not hold them; re-save the model`);
    return { state, files: shards.map((s) => path.join(dir, s)) };
  }
  const present = existsSync(dir) ? readdirSync(dir).join(', ') : '(the folder does not exist)';
  throw new Error(`hf.fromPretrained: ${dir} has no weights: expected one of ${SOURCES.map((s) => s.file).join(', ')}; it has ${present}`);
}

/** Buffers transformers keeps out of its state dicts today but older checkpoints still carry. */
const IGNORED = [/(^|\.)position_ids$/, /(^|\.)attn\.(masked_)?bias$/];

/**
 * Renames a checkpoint's keys to the model's: old LayerNorm names (gamma/beta), a base-model
 * prefix added ('bert.', 'transformer.') or removed, and tied keys filled from their source.
 */
export function alignKeys(state: Record<string, Tensor>, expected: ReadonlySet<string>, tied: Readonly<Record<string, string>>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [original, t] of Object.entries(state)) {
    let key = original.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
    if (!expected.has(key)) {
      const withPrefix = ['bert.', 'transformer.', 'model.'].map((p) => p + key).find((k) => expected.has(k));
      const withoutPrefix = ['bert.', 'transformer.', 'model.'].filter((p) => key.startsWith(p)).map((p) => key.slice(p.length)).find((k) => expected.has(k));
      key = withPrefix ?? withoutPrefix ?? key;
    }
    if (!expected.has(key) && IGNORED.some((r) => r.test(key))) continue;
    out[key] = t;
  }
  for (const [target, source] of Object.entries(tied)) if (!(target in out) && out[source]) out[target] = out[source];
  return out;
}

/** '5GB', '200MB', '10KB' (powers of 1000, as transformers reads them; 'GiB' for 1024) or a byte count. */
export function parseSize(size: number | string, where: string): number {
  if (typeof size === 'number' && Number.isFinite(size) && size > 0) return size;
  const m = typeof size === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$/i.exec(size) : null;
  if (!m) throw new RangeError(`${where}: maxShardSize must be a positive byte count or a size such as '5GB' or '500MB', got ${JSON.stringify(size)}`);
  const unit = (m[2] ?? 'B').toUpperCase();
  const scale: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };
  return Number(m[1]) * scale[unit]!;
}

const bytesOf = (t: Tensor): number => t.numel() * t.elementSize();

/**
 * Writes the state as model.safetensors, or as shards of at most maxBytes each (a tensor larger
 * than that gets a shard of its own) with model.safetensors.index.json. Stale weight files of an
 * earlier save in the folder are removed, so transformers never mixes two saves.
 */
export function writeFolderWeights(dir: string, state: Record<string, Tensor>, maxBytes: number): string[] {
  const metadata = { format: 'pt' };
  const shards: [string, Tensor][][] = [[]];
  let current = 0;
  for (const entry of Object.entries(state)) {
    const size = bytesOf(entry[1]);
    if (current > 0 && current + size > maxBytes) {
      shards.push([]);
      current = 0;
    }
    shards[shards.length - 1]!.push(entry);
    current += size;
  }
  const names = shards.length === 1 ? ['model.safetensors'] : shards.map((_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`);
  const keep = new Set([...names, ...(shards.length > 1 ? ['model.safetensors.index.json'] : [])]);
  for (const f of readdirSync(dir)) {
    const stale = /^model(-\d{5}-of-\d{5})?\.safetensors$/.test(f) || f === 'model.safetensors.index.json' || /^pytorch_model.*\.bin(\.index\.json)?$/.test(f);
    if (stale && !keep.has(f)) rmSync(path.join(dir, f), { force: true });
  }
  shards.forEach((entries, i) => saveSafetensors(path.join(dir, names[i]!), Object.fromEntries(entries), metadata));
  if (shards.length > 1) {
    const weightMap: Record<string, string> = {};
    shards.forEach((entries, i) => entries.forEach(([k]) => (weightMap[k] = names[i]!)));
    const total = Object.values(state).reduce((s, t) => s + bytesOf(t), 0);
    const text = JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + '\n';
    writeFileAtomic(path.join(dir, 'model.safetensors.index.json'), (sink) => sink.write(Buffer.from(text)), 'hf.savePretrained');
  }
  return [...keep];
}
