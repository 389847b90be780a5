// nn.lora: LoRA adapters as PEFT makes them. apply() wraps the targeted Linear layers and
// freezes the rest; merge/unmerge/unload fold and remove them; saveAdapter/loadAdapter read and
// write PEFT's adapter folders (adapter_config.json + adapter_model.safetensors); modulesToSave
// trains whole modules (a new head) next to the adapters, as PEFT's modules_to_save.
export { LoraLinear } from './lora-linear.js';
export { ModulesToSaveWrapper, modulesToSaveLayers } from './lora-modules-to-save.js';
export {
  apply, merge, unmerge, unload, mergeAndUnload, countParameters, formatParameterCounts, loraLayers, isTarget,
  type LoraOptions, type LoraSummary, type TargetModules,
} from './lora-apply.js';
export { saveAdapter, loadAdapter, readAdapterConfig, type SaveAdapterOptions, type AdapterConfig } from './lora-adapter.js';
