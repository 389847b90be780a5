// Summary values in the forms TensorBoard's plugins read: scalars as simple_value, histograms as
// HistogramProto, text as the text plugin's string tensor, hyperparameters as the hparams
// plugin's experiment / session start / session end records.
import { DT_STRING, type HistogramValue, HParamsPluginDataProto, HPARAM_TYPE, type SummaryValue, TextPluginDataProto } from './protos.js';

export function scalarValue(tag: string, value: number): SummaryValue {
  return { tag, simple_value: value };
}

/**
 * A histogram of the finite values, in `bins` equal buckets from min to max (bucket i holds the
 * values up to bucket_limit[i]); null when no value is finite.
 */
export function histogramValue(tag: string, values: ArrayLike<number>, bins = 30): SummaryValue | null {
  let min = Infinity, max = -Infinity, num = 0, sum = 0, sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    num += 1;
    sum += v;
    sumSquares += v * v;
  }
  if (num === 0) return null;
  const n = max > min ? Math.max(1, Math.floor(bins)) : 1;
  const width = (max - min) / n;
  const bucket = new Array<number>(n).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    bucket[n === 1 ? 0 : Math.min(n - 1, Math.floor((v - min) / width))] += 1;
  }
  const limits = bucket.map((_, i) => (i === n - 1 ? max : min + (i + 1) * width));
  const histo: HistogramValue = { min, max, num, sum, sum_squares: sumSquares, bucket_limit: limits, bucket };
  return { tag, histo };
}

/** Text (markdown) for the text plugin: a string tensor of shape [1], as torch.utils.tensorboard writes. */
export function textValue(tag: string, text: string): SummaryValue {
  return {
    tag,
    metadata: { plugin_data: { plugin_name: 'text', content: TextPluginDataProto.encode(TextPluginDataProto.create({ version: 0 })).finish() } },
    tensor: { dtype: DT_STRING, tensor_shape: { dim: [{ size: 1 }] }, string_val: [Buffer.from(text, 'utf8')] },
  };
}

export type HParamValue = string | number | boolean;

/** Nested config objects as flat dotted names ('optimizer.lr'); arrays and null as JSON text. */
export function flattenHParams(input: Record<string, unknown>, prefix = ''): Record<string, HParamValue> {
  const out: Record<string, HParamValue> = {};
  for (const [k, v] of Object.entries(input)) {
    const name = prefix + k;
    if (v === undefined || typeof v === 'function') continue;
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flattenHParams(v as Record<string, unknown>, `${name}.`));
    else if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[name] = v;
    else out[name] = JSON.stringify(v) ?? String(v);
  }
  return out;
}

function hparamsValue(tag: string, data: Record<string, unknown>): SummaryValue {
  const content = HParamsPluginDataProto.encode(HParamsPluginDataProto.fromObject({ version: 0, ...data })).finish();
  return { tag, metadata: { plugin_data: { plugin_name: 'hparams', content } } };
}

export const HPARAMS_TAGS = { experiment: '_hparams_/experiment', sessionStart: '_hparams_/session_start_info', sessionEnd: '_hparams_/session_end_info' } as const;

/** The experiment (which hyperparameters and metrics the hparams dashboard shows) and the session's values. */
export function hparamsValues(hparams: Record<string, HParamValue>, metricTags: string[], startTime: number): SummaryValue[] {
  const typeOf = (v: HParamValue) => (typeof v === 'number' ? HPARAM_TYPE.float64 : typeof v === 'boolean' ? HPARAM_TYPE.bool : HPARAM_TYPE.string);
  const experiment = {
    hparam_infos: Object.entries(hparams).map(([name, v]) => ({ name, type: typeOf(v) })),
    metric_infos: metricTags.map((tag) => ({ name: { tag } })),
  };
  const values = Object.fromEntries(Object.entries(hparams).map(([k, v]) => [k,
    typeof v === 'number' ? { number_value: v } : typeof v === 'boolean' ? { bool_value: v } : { string_value: v }]));
  return [
    hparamsValue(HPARAMS_TAGS.experiment, { experiment }),
    hparamsValue(HPARAMS_TAGS.sessionStart, { session_start_info: { hparams: values, start_time_secs: startTime } }),
  ];
}

export function hparamsEndValue(status: number, endTime: number): SummaryValue {
  return hparamsValue(HPARAMS_TAGS.sessionEnd, { session_end_info: { status, end_time_secs: endTime } });
}
