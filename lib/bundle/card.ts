// The model card (the bundle's README.md): what the model is, what it was trained on, for how
// long, how well it did (the final metrics as a table), what it is for, its limits, and how to
// load it from TypeScript and from Python. Made from the bundle's contents only.
import { type BundleContents } from './source.js';

/** A number as a card shows it: integers as they are, others to 4 significant digits. */
function show(v: unknown): string {
  if (typeof v !== 'number') return v === null || v === undefined ? '-' : String(v);
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? v.toLocaleString('en-US') : Number(v.toPrecision(4)).toString();
}

/**
 * A data profile's size in words (DatasetProfile from lib/metrics: items, profiled, sampled),
 * read defensively: the card must not fail on a profile of another shape.
 */
function profileSize(profile: unknown): string | null {
  if (!profile || typeof profile !== 'object') return null;
  const p = profile as Record<string, unknown>;
  const sizes = (p.sizes && typeof p.sizes === 'object' ? p.sizes : p) as Record<string, unknown>;
  const items = [sizes.items, sizes.length, sizes.size, sizes.count].find((v) => typeof v === 'number') as number | undefined;
  const profiled = typeof sizes.profiled === 'number' ? sizes.profiled : undefined;
  if (items === undefined) return profiled === undefined ? null : `a stream; ${show(profiled)} items profiled`;
  return `${show(items)} items${sizes.sampled === true ? ` (profiled on a sample${profiled === undefined ? '' : ` of ${show(profiled)}`})` : ''}`;
}

/** The drift report's flagged features (DriftReport.flagged), read defensively. */
function driftNote(drift: unknown): string {
  const flagged = (drift as { flagged?: unknown } | null)?.flagged;
  if (!Array.isArray(flagged)) return 'Drift between training and validation data: see data_profile.json.';
  return flagged.length === 0
    ? 'No drift flagged between training and validation data (data_profile.json has the numbers).'
    : `Drift flagged between training and validation data in ${flagged.map(String).join(', ')} (data_profile.json has the numbers).`;
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(2)} h`;
}

/** Wall time between the history's first and last rows (a lower bound: the first row is a logging interval in). */
export function historyWallTime(c: BundleContents): number | null {
  const times = c.history.map((r) => r.wall_time).filter((t): t is number => typeof t === 'number');
  return times.length >= 2 ? Math.max(...times) - Math.min(...times) : null;
}

const TASK_WORDS: Record<string, string> = {
  causal_lm: 'causal language model (predicts the next token)',
  masked_lm: 'masked language model (fills in masked tokens)',
  seq_classification: 'sequence classifier (one class per text)',
  token_classification: 'token classifier (one class per token)',
  image_classification: 'image classifier (one class per image)',
  multilabel_classification: 'multi-label classifier (any number of classes per input)',
  regression: 'regression model (predicts numbers)',
  contrastive: 'contrastive embedding model (matches pairs)',
};

export interface CardNotes {
  name?: string;
  intendedUse?: string;
  limitations?: string[];
  /** Why the tokenizer was not saved, when it was not. */
  tokenizerNote: string | null;
  files: string[];
}

export function modelCard(c: BundleContents, notes: CardNotes): string {
  const kind = 'zoo' in c.model ? `zoo model \`${c.model.zoo}\`` : 'TorchScript model';
  const title = notes.name ?? `${'zoo' in c.model ? c.model.zoo.toUpperCase() : 'TorchScript'} ${c.task.type.replace(/_/g, ' ')}`;
  const s = c.state;
  const lines: string[] = [`# ${title}`, '', `A ${TASK_WORDS[c.task.type] ?? c.task.type}: torchtrain ${kind}, exported from ${c.origin}.`, ''];

  lines.push('## Model', '');
  if ('zoo' in c.model) lines.push('```json', JSON.stringify({ zoo: c.model.zoo, config: c.model.config }, null, 2), '```', '');
  else lines.push('A TorchScript module (model.pt); the weights in model.safetensors are loaded into it.', '');
  const task = [`type \`${c.task.type}\``, `modality ${c.task.modality}`, c.task.numClasses ? `${c.task.numClasses} classes` : '', c.task.vocabSize ? `vocabulary ${c.task.vocabSize}` : ''].filter(Boolean);
  lines.push(`Task: ${task.join(', ')} (task.json).`, '');

  lines.push('## Training data', '');
  const profiles = c.dataProfiles ?? {};
  const described = ['train', 'val'].map((k) => [k, profileSize(profiles[k])] as const).filter(([, v]) => v !== null);
  if (described.length) for (const [k, v] of described) lines.push(`- ${k === 'train' ? 'Training' : 'Validation'} data: ${v}`);
  else lines.push('- No data profile was recorded for this run (see data_profile.json when there is one).');
  if (profiles.drift) lines.push(`- ${driftNote(profiles.drift)}`);
  lines.push('');

  lines.push('## Training', '', '| | |', '| --- | --- |');
  const wall = historyWallTime(c);
  const rows: [string, unknown][] = [['optimizer steps', s.step], ['epochs', s.epoch], ['samples seen', s.samplesSeen], ['tokens seen', s.tokensSeen],
    ['loss items seen', s.itemsSeen], ['wall time (logged span)', wall === null ? null : duration(wall)]];
  for (const [k, v] of rows) if (v !== undefined && v !== null && v !== 0) lines.push(`| ${k} | ${typeof v === 'string' ? v : show(v)} |`);
  lines.push('', 'The full training config is in training.json; the metrics history in metrics.jsonl.', '');

  lines.push('## Final metrics', '');
  const tags = Object.keys(c.logs).sort((a, b) => (a.startsWith('val/') === b.startsWith('val/') ? a.localeCompare(b) : a.startsWith('val/') ? -1 : 1));
  if (tags.length) {
    lines.push(`At step ${show(s.step)}:`, '', '| metric | value |', '| --- | --- |');
    for (const tag of tags) lines.push(`| ${tag} | ${show(c.logs[tag])} |`);
  } else lines.push('No metrics were logged.');
  lines.push('');

  lines.push('## Intended use', '', notes.intendedUse ?? `As a ${TASK_WORDS[c.task.type] ?? c.task.type} on data like its training data, for experiments and as a starting point for fine-tuning.`, '');

  lines.push('## Limits', '');
  const limits = [
    ...(notes.limitations ?? []),
    'Its quality is known only on the data it was validated on (the metrics above); check it on your own data before relying on it.',
    'It inherits the biases and gaps of its training data.',
  ];
  if (notes.tokenizerNote) limits.push(`No tokenizer is saved: ${notes.tokenizerNote}.`);
  for (const l of limits) lines.push(`- ${l}`);
  lines.push('');

  lines.push('## How to load it', '', 'TypeScript (torchtrain):', '', '```ts', "import { loadBundle } from 'torchtrain';",
    "const bundle = await loadBundle('path/to/bundle');", c.tokenizer && !notes.tokenizerNote ? "const out = bundle.predict(['some text']);" : 'const out = bundle.predict(inputs); // a tensor or a batch',
    '```', '', 'Python (the weights; PyTorch names):', '', '```python', 'from safetensors.torch import load_file',
    "state_dict = load_file('path/to/bundle/model.safetensors')", 'model.load_state_dict(state_dict)  # a PyTorch module with the same layout', '```', '');
  lines.push('## Files', '', ...notes.files.map((f) => `- ${f}`), '- bundle.json (the manifest: sizes and SHA-256 of every file)', '');
  return lines.join('\n');
}
