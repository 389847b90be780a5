// torchtrain's task namespace. `TaskSpec` is both the checked spec's type and the value holding
// the presets and the parser: TaskSpec.causalLm({ vocabSize }), TaskSpec.parse(input).
import { type TaskSpec as Spec, TaskSpecs, parseTaskSpec } from './spec.js';

export { TaskSpecs, TaskSpecError, parseTaskSpec, TASK_TYPES, type TaskSpecInput, type TaskType, type Modality, type NormalizeBy } from './spec.js';
export type TaskSpec = Spec;
export const TaskSpec = { parse: parseTaskSpec, ...TaskSpecs };
