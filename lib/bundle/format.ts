// The export bundle on disk: one folder a model can be served from without the run that made it.
//   model.safetensors         the weights under PyTorch's names (safetensors.torch.load_file reads them)
//   model.json                how to rebuild the model: { zoo, config } or { torchscript: 'model.pt' }
//   model.pt                  the TorchScript file (TorchScript models only)
//   task.json                 the TaskSpec (checked, defaults filled in)
//   tokenizer.torchtrain.json the tokenizer (char vocabulary, bytes, or a BPE encoding's name), when
//                             there is one that can be saved (not named tokenizer.json: that name is
//                             Hugging Face's format, which this is not)
//   metrics.jsonl             the metrics history, one row per logging step (JsonlLogger's rows)
//   data_profile.json         the data profiles and drift report, when the run made them
//   training.json             the training config, the run's counters, the final metrics, wall time
//   README.md                 the model card
//   bundle.json               the manifest (format, version, each file's size and SHA-256), written LAST
// The folder is written under a temporary name and renamed into place, so a bundle without a
// valid bundle.json is an unfinished one and is never loaded.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { formatZodError } from '../core/validation.js';
import { sha256File } from '../checkpoint/manifest.js';

export const BUNDLE_FORMAT = 'torchtrain-bundle';
export const BUNDLE_VERSION = 1;

export const BUNDLE_FILES = {
  weights: 'model.safetensors',
  model: 'model.json',
  torchscript: 'model.pt',
  task: 'task.json',
  tokenizer: 'tokenizer.torchtrain.json',
  metrics: 'metrics.jsonl',
  profile: 'data_profile.json',
  training: 'training.json',
  card: 'README.md',
  manifest: 'bundle.json',
} as const;

/** Why an export or a load failed: says which bundle and file, and what to do. */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

const fileEntry = z.strictObject({ size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

export const manifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.number().int().positive(),
  createdAt: z.string(),
  versions: z.object({ torchtrain: z.string(), libtorch: z.string() }),
  /** The model's kind: a zoo family or TorchScript. */
  model: z.union([z.object({ zoo: z.string() }), z.object({ torchscript: z.string() })]),
  task: z.string(),
  /** The saved tokenizer's type, or why none was saved (null: the run had none). */
  tokenizer: z.union([z.object({ type: z.string() }), z.object({ unsaved: z.string() }), z.null()]),
  files: z.record(z.string(), fileEntry),
});

export type BundleManifest = z.output<typeof manifestSchema>;

/**
 * Reads and checks a bundle's manifest, then every file it lists (size, and SHA-256 unless
 * hashes: false). Throws a BundleError naming the bundle, the file and the fix.
 */
export function verifyBundle(dir: string, options: { hashes?: boolean } = {}): BundleManifest {
  const where = `bundle ${dir}`;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(dir, BUNDLE_FILES.manifest), 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !fs.existsSync(dir)) throw new BundleError(`${where}: no such folder; pass the folder exportBundle wrote`);
    throw new BundleError(code === 'ENOENT'
      ? `${where}: bundle.json is missing, so the bundle is incomplete (its export did not finish) or this is not a bundle; export it again with exportBundle`
      : `${where}: bundle.json is unreadable (${(err as Error).message}); export the bundle again`);
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if ((raw as { format?: unknown } | null)?.format === BUNDLE_FORMAT && typeof version === 'number' && version > BUNDLE_VERSION) {
    throw new BundleError(`${where}: bundle format version ${version} is newer than this torchtrain reads (${BUNDLE_VERSION}); upgrade with npm install torchtrain@latest`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BundleError(`${where}: bundle.json is not a torchtrain bundle manifest:\n  ${formatZodError(parsed.error, raw, { root: '(bundle.json)' }).join('\n  ')}\nexport the bundle again with exportBundle`);
  }
  const manifest = parsed.data;
  if (manifest.version !== BUNDLE_VERSION) {
    throw new BundleError(`${where}: bundle format version ${manifest.version} is not one this torchtrain reads (${BUNDLE_VERSION}); export it again with this version`);
  }
  for (const [name, expected] of Object.entries(manifest.files)) {
    if (name.includes('/') || name.includes('\\') || name === BUNDLE_FILES.manifest) throw new BundleError(`${where}: bundle.json lists a bad file name '${name}'`);
    let size: number;
    try {
      size = fs.statSync(path.join(dir, name)).size;
    } catch {
      throw new BundleError(`${where}: ${name} is missing (bundle.json lists it); copy the whole bundle folder, or export it again`);
    }
    if (size !== expected.size) throw new BundleError(`${where}: ${name} has ${size} bytes, bundle.json says ${expected.size} (truncated or changed); export the bundle again`);
    if (options.hashes !== false && sha256File(path.join(dir, name)) !== expected.sha256) {
      throw new BundleError(`${where}: ${name} does not match its SHA-256 in bundle.json (damaged or changed); export the bundle again`);
    }
  }
  for (const required of [BUNDLE_FILES.weights, BUNDLE_FILES.model, BUNDLE_FILES.task]) {
    if (!manifest.files[required]) throw new BundleError(`${where}: bundle.json does not list ${required}, which every bundle has; export the bundle again`);
  }
  return manifest;
}
