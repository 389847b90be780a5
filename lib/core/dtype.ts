// dtypes: the names of DESIGN.md section 3, their libtorch ScalarType codes, and the typed
// arrays their data comes out as.

export type DType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** c10::ScalarType enum values (the same in libtorch 1.13 and 2.x). */
const CODES: Record<DType, number> = {
  uint8: 0, int8: 1, int16: 2, int32: 3, int64: 4,
  float16: 5, float32: 6, float64: 7, bool: 11, bfloat16: 15,
};

const BY_CODE = new Map<number, DType>(Object.entries(CODES).map(([name, code]) => [code, name as DType]));

/** PyTorch's other spellings, accepted wherever a dtype is. */
const ALIASES: Record<string, DType> = {
  float: 'float32', double: 'float64', half: 'float16', long: 'int64', int: 'int32', short: 'int16',
  char: 'int8', byte: 'uint8',
};

export const DTYPES = Object.keys(CODES) as DType[];

export function parseDType(value: unknown, where = 'dtype'): DType {
  if (typeof value === 'string') {
    const name = value.startsWith('torch.') ? value.slice(6) : value;
    if (name in CODES) return name as DType;
    if (name in ALIASES) return ALIASES[name];
  }
  throw new TypeError(`${where}: ${JSON.stringify(value)} is not a dtype; use one of ${DTYPES.join(', ')}`);
}

export function dtypeCode(dtype: DType | string): number {
  return CODES[parseDType(dtype)];
}

export function dtypeFromCode(code: number): DType {
  const dtype = BY_CODE.get(code);
  if (!dtype) throw new Error(`libtorch returned dtype code ${code}, which torchtrain does not support yet`);
  return dtype;
}

export function isFloatingPoint(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

export type TypedArrayFor<D extends DType> = D extends 'int64'
  ? BigInt64Array
  : D extends 'float64' ? Float64Array
  : D extends 'int32' ? Int32Array
  : D extends 'int16' ? Int16Array
  : D extends 'int8' ? Int8Array
  : D extends 'uint8' | 'bool' ? Uint8Array
  : Float32Array;

export type AnyTypedArray =
  | Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** The typed array data() returns for a dtype (float16/bfloat16 widen to float32, bool is bytes). */
export function viewBytes(dtype: DType, buffer: ArrayBuffer): AnyTypedArray {
  switch (dtype) {
    case 'float64': return new Float64Array(buffer);
    case 'int64': return new BigInt64Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'int16': return new Int16Array(buffer);
    case 'int8': return new Int8Array(buffer);
    case 'uint8': case 'bool': return new Uint8Array(buffer);
    default: return new Float32Array(buffer);
  }
}

/** The dtype a typed array's elements have. */
export function dtypeOfTypedArray(data: ArrayBufferView): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'uint8';
  throw new TypeError(`${data.constructor.name} is not a supported tensor source; use Float32Array, Float64Array, BigInt64Array, Int32Array, Int16Array, Int8Array or Uint8Array`);
}

const INTEGER_RANGE: Partial<Record<DType, [bigint, bigint]>> = {
  uint8: [0n, 255n], int8: [-128n, 127n], int16: [-32768n, 32767n], int32: [-(2n ** 31n), 2n ** 31n - 1n], int64: [-(2n ** 63n), 2n ** 63n - 1n],
};

/**
 * Whether a JS value fits an integer dtype by PyTorch's rule, the one torch.tensor and the native
 * casts apply (so code that fills typed arrays itself refuses what they refuse, instead of
 * letting the array wrap it): an integer in the dtype's range (uint8 also takes -255..-1, which
 * wrap as in PyTorch); a fractional number from the lowest value up to below max + 1 (it is
 * truncated); never NaN or an infinity. Floating and bool dtypes take anything.
 */
export function fitsDType(value: number | bigint, dtype: DType): boolean {
  const range = INTEGER_RANGE[dtype];
  if (!range) return true;
  const [lo, hi] = range;
  if (typeof value === 'bigint') return dtype === 'uint8' ? value >= -255n && value <= 255n : value >= lo && value <= hi;
  if (!Number.isFinite(value)) return false;
  if (Number.isInteger(value) && dtype === 'uint8') return value >= -255 && value <= 255;
  return value >= Number(lo) && value < Number(hi) + 1;
}
