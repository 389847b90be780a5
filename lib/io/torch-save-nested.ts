// torch.save files holding nested values (optimizer state, checkpoint dicts), under the module
// name lib/checkpoint imports: the writer lives in torch-save.ts, the reader in torch-load.ts.
export { save, type SaveValue } from './torch-save.js';
export { loadObject, type LoadedObject } from './torch-load.js';
export { PyTuple, tuple } from './pickle-reader.js';
