// exportBundle: writes a bundle folder (format.ts) from a Trainer or a checkpoint folder. Like a
// checkpoint, it is written into a temporary folder beside `dir`, every file fsynced, bundle.json
// (sizes and SHA-256) last, then renamed into place: a kill leaves no half-bundle under `dir`.
import fs from 'node:fs';
import path from 'node:path';
import { parseOrThrow } from '../core/validation.js';
import { getRngState, info, setRngState } from '../core/runtime.js';
import { dispose } from '../core/scope.js';
import { describeFiles } from '../checkpoint/manifest.js';
import { commitFolder, fsyncPath } from '../checkpoint/folder.js';
import { Trainer } from '../engine/trainer.js';
import { FileWriteError, isSystemError } from '../io/errors.js';
import { FileSink, removeStaleTemporaries, temporaryName } from '../io/file-io.js';
import { planSafetensors, readSafetensorsHeader } from '../io/safetensors.js';
import { tensorPieces } from '../io/tensor-data.js';
import { createModel } from '../models/zoo.js';
import { startProgress } from '../progress/index.js';
import { modelCard, historyWallTime } from './card.js';
import { BUNDLE_FILES, BUNDLE_FORMAT, BUNDLE_VERSION, BundleError, type BundleManifest } from './format.js';
import { type BundleContents, type ExportBundleOptions, exportOptionsSchema, fromCheckpoint, fromTrainer } from './source.js';
import { saveTokenizer } from './tokenizer.js';

const json = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : typeof v === 'bigint' ? Number(v) : v), 2) + '\n';

/** The weights' names and shapes, from the tensors or the file's header. */
function weightShapes(c: BundleContents): Map<string, string> {
  if ('tensors' in c.weights) return new Map(Object.entries(c.weights.tensors).map(([k, t]) => [k, t.shape.join('x')]));
  return new Map(readSafetensorsHeader(c.weights.file).tensors.map((e) => [e.name, e.shape.join('x')]));
}

/**
 * A described zoo model must rebuild with exactly the weights' names and shapes, or loadBundle
 * would fail later (far from the mistake): checked now by building it once.
 */
function checkDescription(c: BundleContents): void {
  if (!('zoo' in c.model)) return;
  // Building it draws its initial weights from torch's generator: put the generator back after,
  // so exporting does not change what a seeded script does next.
  const rng = getRngState();
  let model;
  try {
    model = createModel(c.model.zoo, c.model.config);
  } catch (err) {
    throw new BundleError(`exportBundle: the model description ${JSON.stringify(c.model)} does not build: ${(err as Error).message}`);
  } finally {
    setRngState(rng);
  }
  const state = model.stateDict();
  const expected = new Map(Object.entries(state).map(([k, t]) => [k, t.shape.join('x')]));
  dispose([state, model.parameters(), model.buffers()]);
  const given = weightShapes(c);
  const missing = [...expected.keys()].filter((k) => !given.has(k));
  const extra = [...given.keys()].filter((k) => !expected.has(k));
  const shapes = [...expected].filter(([k, s]) => given.has(k) && given.get(k) !== s).map(([k, s]) => `${k} [${given.get(k)}] vs [${s}]`);
  if (missing.length || extra.length || shapes.length) {
    const say = (what: string, list: string[]) => (list.length ? `\n  ${what}: ${list.slice(0, 5).join(', ')}${list.length > 5 ? `, ... (${list.length})` : ''}` : '');
    throw new BundleError(`exportBundle: the weights do not fit the model description { zoo: '${c.model.zoo}' } (${c.origin}):`
      + say('missing from the weights', missing) + say('not in the model', extra) + say('shapes differ', shapes)
      + '\npass the zoo family and config the model was built with');
  }
}

/** model.safetensors: the tensors with a progress bar (large models take a while), or the checkpoint's file copied. */
function writeWeights(c: BundleContents, file: string): void {
  if ('file' in c.weights) {
    fs.copyFileSync(c.weights.file, file);
    return;
  }
  const { head, order } = planSafetensors(c.weights.tensors, { format: 'pt' });
  const total = order.reduce((n, [, t]) => n + t.numel() * t.elementSize(), head.length);
  const progress = startProgress('writing the bundle weights', { total: Math.ceil(total / 2 ** 20), unit: 'MiB' });
  const fd = fs.openSync(file, 'wx');
  try {
    const sink = new FileSink(fd);
    sink.write(head);
    for (const [, t] of order) {
      for (const piece of tensorPieces(t)) {
        sink.write(piece);
        progress.update(Math.floor(sink.position / 2 ** 20));
      }
    }
  } finally {
    fs.closeSync(fd);
    progress.finish();
  }
}

/** Writes every file but the manifest into `temp`; returns their names and the tokenizer's entry for the manifest. */
function writeContents(c: BundleContents, temp: string, options: Pick<ExportBundleOptions, 'name' | 'intendedUse' | 'limitations'>): { names: string[]; tokenizer: BundleManifest['tokenizer'] } {
  const names: string[] = [];
  const text = (name: string, content: string) => {
    fs.writeFileSync(path.join(temp, name), content, { flag: 'wx' });
    names.push(name);
  };
  writeWeights(c, path.join(temp, BUNDLE_FILES.weights));
  names.push(BUNDLE_FILES.weights);
  if ('torchscript' in c.model) {
    fs.copyFileSync(c.model.torchscript, path.join(temp, BUNDLE_FILES.torchscript));
    names.push(BUNDLE_FILES.torchscript);
    text(BUNDLE_FILES.model, json({ torchscript: BUNDLE_FILES.torchscript }));
  } else text(BUNDLE_FILES.model, json({ zoo: c.model.zoo, config: c.model.config }));
  text(BUNDLE_FILES.task, json(c.task));
  let tokenizer: BundleManifest['tokenizer'] = null;
  let tokenizerNote: string | null = null;
  if (c.tokenizer) {
    const saved = saveTokenizer(c.tokenizer);
    if ('saved' in saved) {
      text(BUNDLE_FILES.tokenizer, json(saved.saved));
      tokenizer = { type: saved.saved.type };
    } else {
      tokenizer = { unsaved: saved.unsaved };
      tokenizerNote = saved.unsaved;
    }
  }
  text(BUNDLE_FILES.metrics, c.history.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n').join(''));
  if (c.dataProfiles) text(BUNDLE_FILES.profile, json(c.dataProfiles));
  text(BUNDLE_FILES.training, json({ source: c.origin, config: c.config, state: c.state, finalMetrics: c.logs, wallTimeSeconds: historyWallTime(c) }));
  text(BUNDLE_FILES.card, modelCard(c, { ...options, tokenizerNote, files: [...names, BUNDLE_FILES.card] }));
  return { names, tokenizer };
}

/**
 * Writes an export bundle of a Trainer's model (after fit) or of a checkpoint folder into `dir`:
 * weights, model description, TaskSpec, tokenizer, metrics history, data profile, training
 * config and a model card, then bundle.json last. Returns the folder. loadBundle(dir) reads it.
 */
export function exportBundle(source: Trainer | string, dir: string, options: ExportBundleOptions = {}): string {
  const o = parseOrThrow(exportOptionsSchema, options, (issues) => new BundleError(`exportBundle: invalid options:\n  ${issues.map((i) => i.text).join('\n  ')}`),
    { root: '(options)', known: { owner: 'exportBundle', keys: Object.keys(exportOptionsSchema.shape) } });
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`exportBundle: dir must be the bundle folder to write (a non-empty string), got ${JSON.stringify(dir)}`);
  const final = path.resolve(dir);
  if (fs.existsSync(final) && !o.overwrite) throw new BundleError(`exportBundle: ${final} already exists; choose another folder or pass { overwrite: true } to replace it`);
  let contents: BundleContents;
  if (source instanceof Trainer) contents = fromTrainer(source, o);
  else if (typeof source === 'string') contents = fromCheckpoint(source, o);
  else throw new TypeError(`exportBundle: source must be a Trainer or a checkpoint folder (a string), got ${source === null ? 'null' : typeof source}`);
  if (o.model !== undefined || 'file' in contents.weights) checkDescription(contents);

  const root = path.dirname(final);
  const temp = path.join(root, temporaryName(final));
  try {
    fs.mkdirSync(root, { recursive: true });
    removeStaleTemporaries(root);
    fs.mkdirSync(temp);
    const { names, tokenizer } = writeContents(contents, temp, o);
    for (const name of names.concat(BUNDLE_FILES.card)) fsyncPath(path.join(temp, name));
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT, version: BUNDLE_VERSION, createdAt: new Date().toISOString(),
      versions: { torchtrain: info().torchtrainVersion, libtorch: info().libtorchVersion },
      model: 'zoo' in contents.model ? { zoo: contents.model.zoo } : { torchscript: BUNDLE_FILES.torchscript },
      task: contents.task.type, tokenizer, files: describeFiles(temp, names.concat(BUNDLE_FILES.card)),
    };
    const manifestFile = path.join(temp, BUNDLE_FILES.manifest);
    fs.writeFileSync(manifestFile, json(manifest));
    fsyncPath(manifestFile);
    commitFolder(temp, final, root);
  } catch (err) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw isSystemError(err) ? new FileWriteError('exportBundle', final, err, root) : err;
  } finally {
    if ('tensors' in contents.weights) dispose(contents.weights.tensors);
  }
  return final;
}
