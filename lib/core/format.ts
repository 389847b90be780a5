// Prints a tensor the way PyTorch's torch/_tensor_str.py does: the same choice of integer,
// fixed or scientific notation, the same widths, line wrapping at 80 columns, summarising
// (edge items and '...') above 1000 elements, and the same dtype/grad suffixes.
import { native } from './addon.js';
import { noteHostRead } from './host-reads.js';
import { type TensorHandle } from './native.js';
import { type DType, dtypeFromCode, isFloatingPoint, viewBytes } from './dtype.js';

export const printOptions = { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80, sciMode: null as boolean | null };

const TORCH_DTYPE_NAMES: Record<DType, string> = {
  float32: 'torch.float32', float64: 'torch.float64', float16: 'torch.float16', bfloat16: 'torch.bfloat16',
  int64: 'torch.int64', int32: 'torch.int32', int16: 'torch.int16', int8: 'torch.int8', uint8: 'torch.uint8', bool: 'torch.bool',
};

function special(x: number): string | null {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return null;
}

// Python formats the exact binary value of a double and rounds ties to even; JS's toFixed and
// toExponential round ties away from zero (and toFixed goes exponential at 1e21), so we work
// on the exact decimal expansion instead: every finite double is n / 10^scale for a BigInt n.
const bitsView = new DataView(new ArrayBuffer(8));
function exactDecimal(x: number): { n: bigint; scale: number } {
  bitsView.setFloat64(0, Math.abs(x));
  const bits = bitsView.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exp = biased === 0 ? -1074 : biased - 1075;
  return exp >= 0 ? { n: mantissa << BigInt(exp), scale: 0 } : { n: mantissa * 5n ** BigInt(-exp), scale: -exp };
}

/** n / 10^shift, rounded half to even. */
function roundShift(n: bigint, shift: number): bigint {
  if (shift <= 0) return n * 10n ** BigInt(-shift);
  const d = 10n ** BigInt(shift);
  const q = n / d, twiceRest = (n % d) * 2n;
  return twiceRest > d || (twiceRest === d && (q & 1n) === 1n) ? q + 1n : q;
}

// Python keeps the sign of -0.0 and of negatives that round to zero.
const sign = (x: number) => (x < 0 || Object.is(x, -0) ? '-' : '');

/** Python's '{:.Nf}'.format(x). */
export function pyFixed(x: number, precision: number): string {
  const s = special(x);
  if (s) return s;
  const { n, scale } = exactDecimal(x);
  const digits = roundShift(n, scale - precision).toString().padStart(precision + 1, '0');
  const cut = digits.length - precision;
  return sign(x) + digits.slice(0, cut) + (precision > 0 ? '.' + digits.slice(cut) : '');
}

/** Python's '{:.Ne}'.format(x): at least two exponent digits. */
export function pyExp(x: number, precision: number): string {
  const s = special(x);
  if (s) return s;
  const { n, scale } = exactDecimal(x);
  let exponent = 0;
  let q = 0n;
  if (n !== 0n) {
    const length = n.toString().length;
    exponent = length - 1 - scale;
    q = roundShift(n, length - 1 - precision);
    // rounding up 9.99995 carries into a new leading digit
    if (q.toString().length > precision + 1) {
      q /= 10n;
      exponent += 1;
    }
  }
  const digits = q.toString().padEnd(precision + 1, '0');
  const mantissa = digits[0] + (precision > 0 ? '.' + digits.slice(1) : '');
  return `${sign(x)}${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

class Formatter {
  intMode = true;
  sciMode = false;
  maxWidth = 1;

  constructor(readonly floating: boolean, values: ArrayLike<number | bigint | boolean>) {
    const p = printOptions.precision;
    if (!floating) {
      for (let i = 0; i < values.length; i++) this.maxWidth = Math.max(this.maxWidth, this.plain(values[i]).length);
      return;
    }
    const finite: number[] = [];
    let min = Infinity, max = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (!Number.isFinite(v) || v === 0) continue;
      finite.push(v);
      min = Math.min(min, Math.abs(v));
      max = Math.max(max, Math.abs(v));
      if (v !== Math.ceil(v)) this.intMode = false;
    }
    // With nothing finite and non-zero Python returns early: int mode, and even a forced
    // sci_mode is ignored.
    if (finite.length === 0) return;
    this.sciMode = printOptions.sciMode ?? (max / min > 1000 || max > 1e8 || min < 1e-4);
    const width = this.sciMode ? (v: number) => pyExp(v, p).length
      : this.intMode ? (v: number) => pyFixed(v, 0).length + 1
      : (v: number) => pyFixed(v, p).length;
    for (const v of finite) this.maxWidth = Math.max(this.maxWidth, width(v));
  }

  private plain(v: number | bigint | boolean): string {
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    return String(v);
  }

  format(v: number | bigint | boolean): string {
    let out: string;
    if (this.floating) {
      const x = v as number;
      if (this.sciMode) out = pyExp(x, printOptions.precision);
      else if (this.intMode) out = pyFixed(x, 0) + (Number.isFinite(x) ? '.' : '');
      else out = pyFixed(x, printOptions.precision);
    } else out = this.plain(v);
    return ' '.repeat(Math.max(0, this.maxWidth - out.length)) + out;
  }
}

/** Shrinks each dimension longer than 2*edgeitems to its first and last edgeitems (natively). */
function summarizedHandle(handle: TensorHandle, shape: number[]): { handle: TensorHandle; owned: boolean } {
  const edge = printOptions.edgeitems;
  let h = handle;
  let owned = false;
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] <= 2 * edge) continue;
    const picks: number[] = [];
    for (let i = 0; i < edge; i++) picks.push(i);
    for (let i = shape[d] - edge; i < shape[d]; i++) picks.push(i);
    const index = native.fromData(new Float64Array(picks), 4, [picks.length]);
    const next = native.indexSelect(h, d, index);
    native.free(index);
    if (owned) native.free(h);
    h = next;
    owned = true;
  }
  return { handle: h, owned };
}

function body(handle: TensorHandle, dtype: DType, shape: number[], indent: number): string {
  const numel = shape.reduce((a, b) => a * b, 1);
  const summarize = numel > printOptions.threshold;
  // With no edge items Python shows nothing but the ellipsis (and a size suffix).
  if (summarize && printOptions.edgeitems === 0 && shape.length > 0) return '[...]';
  const small = summarize ? summarizedHandle(handle, shape) : { handle, owned: false };
  const smallShape: number[] = native.shape(small.handle);
  noteHostRead();
  const raw = viewBytes(dtype, native.toBuffer(small.handle));
  if (small.owned) native.free(small.handle);
  const values: (number | bigint | boolean)[] = dtype === 'bool' ? Array.from(raw as Uint8Array, (b) => b !== 0) : Array.from(raw as ArrayLike<number>);
  const formatter = new Formatter(isFloatingPoint(dtype), values);
  const edge = printOptions.edgeitems;

  // strides of the summarised tensor, to find element offsets
  const strides = smallShape.map((_, d) => smallShape.slice(d + 1).reduce((a, b) => a * b, 1));
  const render = (depth: number, offset: number, ind: number): string => {
    if (depth === shape.length) return formatter.format(values[offset]);
    const n = shape[depth];
    const cut = summarize && n > 2 * edge;
    const rows: number[] = cut ? [...Array(2 * edge).keys()] : [...Array(n).keys()];
    if (depth === shape.length - 1) {
      const elementLength = formatter.maxWidth + 2;
      const perLine = Math.max(1, Math.floor((printOptions.linewidth - ind) / elementLength));
      const items = rows.map((i) => formatter.format(values[offset + i * strides[depth]]));
      if (cut) items.splice(edge, 0, ' ...');
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
      return '[' + lines.join(',\n' + ' '.repeat(ind + 1)) + ']';
    }
    const slices = rows.map((i) => render(depth + 1, offset + i * strides[depth], ind + 1));
    if (cut) slices.splice(edge, 0, '...');
    const rank = shape.length - depth;
    return '[' + slices.join(',' + '\n'.repeat(rank - 1) + ' '.repeat(ind + 1)) + ']';
  };
  return render(0, 0, indent);
}

function addSuffixes(text: string, suffixes: string[], indent: number): string {
  const parts = [text];
  let lastLineLength = text.length - text.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLineLength + suffix.length + 2 > printOptions.linewidth) {
      parts.push(',\n' + ' '.repeat(indent) + suffix);
      lastLineLength = indent + suffix.length;
    } else {
      parts.push(', ' + suffix);
      lastLineLength += suffix.length + 2;
    }
  }
  parts.push(')');
  return parts.join('');
}

/** PyTorch's repr of a tensor, e.g. "tensor([1., 2.], requires_grad=True)". */
export function formatTensor(t: { _h: TensorHandle }): string {
  const h = t._h;
  const dtype = dtypeFromCode(native.dtype(h));
  const shape: number[] = native.shape(h);
  const device: string = native.device(h);
  const prefix = 'tensor(';
  const suffixes: string[] = [];
  if (device !== 'cpu') suffixes.push(`device='${device}'`);
  const defaultDtype = dtype === 'float32' || dtype === 'int64' || dtype === 'bool';
  let text: string;
  const numel = shape.reduce((a, b) => a * b, 1);
  const size = `size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
  if (numel === 0) {
    if (shape.length !== 1) suffixes.push(size);
    if (dtype !== 'float32') suffixes.push(`dtype=${TORCH_DTYPE_NAMES[dtype]}`);
    text = '[]';
  } else {
    if (printOptions.edgeitems === 0) suffixes.push(size);
    if (!defaultDtype) suffixes.push(`dtype=${TORCH_DTYPE_NAMES[dtype]}`);
    text = body(h, dtype, shape, prefix.length);
  }
  const gradFn: string | undefined = native.gradFn(h);
  if (gradFn) suffixes.push(`grad_fn=<${gradFn.split('::').pop()}>`);
  else if (native.requiresGrad(h)) suffixes.push('requires_grad=True');
  return addSuffixes(prefix + text, suffixes, prefix.length);
}

export { TORCH_DTYPE_NAMES };
