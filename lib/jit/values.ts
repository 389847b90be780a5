// What TorchScript methods take and return, in JavaScript terms (converted in lib/core/script-values.ts).
export type { ScriptValue } from '../core/script-values.js';
