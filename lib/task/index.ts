// torchtrain's task namespace.
export { TaskSpecs, TaskSpecError, parseTaskSpec, TASK_TYPES, type TaskSpec, type TaskSpecInput, type TaskType, type Modality, type NormalizeBy } from './spec.js';
