// lib/io: weights files. safetensors (Hugging Face's format) and PyTorch's torch.save zip
// format for state dicts and nested values (optimizer state), both validated on reading and
// written atomically.
export { saveSafetensors, loadSafetensors, loadSafetensorsWithMetadata, readSafetensorsHeader } from './safetensors.js';
export type { SafetensorsEntry, SafetensorsHeader } from './safetensors.js';
export { save, type SaveValue } from './torch-save.js';
export { load, loadObject, loadValues, type LoadedObject, type LoadedValue } from './torch-load.js';
export { PyTuple, tuple } from './pickle-reader.js';
export { FileWriteError, WeightsFileError } from './errors.js';
