// torchtrain's jit namespace: load a TorchScript module (exported from Python with
// torch.jit.script(model).save(path)) as a trainable nn.Module, and save it back.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { parseDevice } from '../core/device.js';
import { NativeScriptModule } from '../core/native-script-module.js';
import { shortTensorRecord } from './archive-records.js';
import { ScriptModule } from './script-module.js';

export { ScriptModule } from './script-module.js';
export type { ScriptValue } from './values.js';

export interface LoadOptions {
  /** Where the parameters and buffers go ('cpu', 'cuda', 'cuda:N'); by default, where they were saved. */
  device?: string;
}

const EXPORT_HINT = 'export the model from Python with torch.jit.script(model).save(path) (or torch.jit.trace(model, example).save(path))';

function fileError(message: string, code: string, path: string): Error {
  return Object.assign(new Error(message), { code, path });
}

// The checks libtorch would make too, made first so the message says what the file is instead.
function checkArchive(path: string): void {
  let size: number;
  try {
    const info = statSync(path);
    if (info.isDirectory()) throw fileError(`jit.load: '${path}' is a directory, not a TorchScript file`, 'EISDIR', path);
    size = info.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw fileError(`jit.load: no such file '${path}'`, 'ENOENT', path);
    throw err;
  }
  const head = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (size >= 4 && head.toString('latin1') === 'PK\x03\x04') {
    const short = shortTensorRecord(path);
    if (short) throw fileError(`jit.load: '${path}' is damaged: ${short} (the archive was cut short or corrupted); export the model from Python again`, 'EINVAL', path);
    return;
  }
  const what = size === 0 ? 'an empty file'
    : head[0] === 0x80 ? "a pickle (torch.save's legacy format), not a TorchScript archive"
    : 'not a TorchScript archive (those are zip files)';
  throw fileError(`jit.load: '${path}' is ${what}; ${EXPORT_HINT}`, 'EINVAL', path);
}

/**
 * Loads a TorchScript module as a trainable nn.Module: parameters(), stateDict(), train()/eval(),
 * to(), forward(...) and save(path) work on the TorchScript module itself.
 */
export function load(path: string, options: LoadOptions = {}): ScriptModule {
  if (typeof path !== 'string' || path === '') throw new TypeError(`jit.load: path must be a non-empty string, got ${JSON.stringify(path)}`);
  const device = options.device === undefined ? undefined : parseDevice(options.device, 'jit.load');
  checkArchive(path);
  let mod: NativeScriptModule;
  try {
    mod = NativeScriptModule.load(path, device);
  } catch (err) {
    // A zip without TorchScript code is most often a torch.save() file (a state dict).
    if (err instanceof Error && /constants\.pkl|code\/|\.data\/version/.test(err.message)) {
      err.message += `\nIt looks like a torch.save() file (a state dict or pickled tensors), not TorchScript: read its tensors with io.load, or ${EXPORT_HINT}.`;
    }
    throw err;
  }
  try {
    return ScriptModule.fromNative(mod, path);
  } catch (err) {
    mod.free();
    throw err;
  }
}
