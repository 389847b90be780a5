// Tensor records of a TorchScript archive against the bytes its pickles say they hold. libtorch
// takes a storage's size from the pickle (data.pkl, constants.pkl) and its bytes from the zip
// record without comparing the two, so a record cut short loads, and ops on the tensor read past
// the bytes that were read. The native load checks empty records and sizes against storages; a
// short but non-empty record is only visible here, where the record sizes are.
import { withReadableFile } from '../io/file-io.js';
import { type PyValue, unpickle } from '../io/pickle-reader.js';
import { ZipArchive } from '../io/zip-reader.js';

/** Bytes per element of the storage classes TorchScript pickles name (torch.FloatStorage, ...). */
const STORAGE_ITEM_BYTES: Record<string, number> = {
  FloatStorage: 4, DoubleStorage: 8, HalfStorage: 2, BFloat16Storage: 2, LongStorage: 8, IntStorage: 4,
  ShortStorage: 2, CharStorage: 1, ByteStorage: 1, BoolStorage: 1, ComplexFloatStorage: 8, ComplexDoubleStorage: 16,
};

class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
}

/**
 * The first tensor record shorter than its storage, as "'<record>' holds N bytes where its
 * storage needs M", or null. Best effort: an archive it cannot read is left to libtorch's own
 * checks (it refuses nothing it does not understand).
 */
export function shortTensorRecord(path: string): string | null {
  try {
    return withReadableFile(path, (f) => {
      const zip = ZipArchive.open(f);
      for (const [name, entry] of zip.entries) {
        const pickle = /^(.*\/)?(data|constants)\.pkl$/.exec(name);
        if (!pickle || entry.problem) continue;
        const dir = `${pickle[1] ?? ''}${pickle[2]}/`;
        const needs = new Map<string, number>();
        unpickle(zip.reader(entry).read(0, entry.size), {
          findClass: (module, global) => new PyGlobal(module, global),
          persistentLoad(pid: PyValue) {
            if (Array.isArray(pid) && pid[0] === 'storage' && pid[1] instanceof PyGlobal && typeof pid[2] === 'string') {
              const itemBytes = STORAGE_ITEM_BYTES[pid[1].name];
              const numel = typeof pid[4] === 'bigint' ? Number(pid[4]) : pid[4];
              if (itemBytes && typeof numel === 'number' && numel >= 0) needs.set(pid[2], Math.max(needs.get(pid[2]) ?? 0, numel * itemBytes));
            }
            return null;
          },
          call: () => ({}),
          build: () => undefined,
        });
        for (const [key, need] of needs) {
          const record = zip.entries.get(dir + key);
          if (record && record.size < need) return `its tensor record '${dir + key}' holds ${record.size} bytes where its storage needs ${need}`;
        }
      }
      return null;
    });
  } catch {
    return null;
  }
}
