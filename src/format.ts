/**
 * A tensor's values as PyTorch prints them (torch/_tensor_str.py, default print options):
 * `tensor([[0.1000, 0.2000], …], requiresGrad=true)`.
 *
 * PyTorch's rules, kept: the format is chosen from the nonzero finite values — integers print
 * as `1.`, others with 4 decimals, and scientific notation (`1.0000e-05`) is used when the
 * largest magnitude exceeds 1e8, or exceeds 1000× the smallest, or (non-integers) the smallest
 * is below 1e-4; every element is right-aligned to one width; rows wrap at 80 columns; beyond
 * 1000 elements each dimension shows its first and last 3 entries around `...`. Names are
 * gradlab's: `requiresGrad=true`, `dtype=float64`.
 */
import type { FloatArray } from './kernels/types.js';
import { formatShape, shapeSize, type Tensor } from './tensor.js';

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

/**
 * x with `digits` decimals, rounded as Python's format does: to the nearest, ties (exact binary
 * halves, such as 1.03125 at 4 decimals) to even. JavaScript's toFixed rounds those up.
 */
function toFixedEven(x: number, digits: number): string {
  const s = x.toFixed(digits);
  const scaled = Math.abs(x) * 2 * 10 ** digits;
  // Exact for float32 values (24-bit significand times 2·10⁴ fits in 53 bits).
  if (!Number.isInteger(scaled) || scaled % 2 !== 1 || scaled > Number.MAX_SAFE_INTEGER) return s;
  let n = (scaled - 1) / 2;
  if (n % 2 === 1) n += 1;
  const digitsStr = String(n).padStart(digits + 1, '0');
  const body = digits > 0 ? `${digitsStr.slice(0, -digits)}.${digitsStr.slice(-digits)}` : digitsStr;
  return (x < 0 ? '-' : '') + body;
}

/** Python's `{:.Ne}`: the exponent has a sign and at least two digits. */
function toExponentialPy(x: number, digits: number): string {
  return x.toExponential(digits).replace(/e([+-])(\d)$/, 'e$10$2');
}

function special(x: number): string | null {
  if (x !== x) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return null;
}

/** PyTorch's _Formatter: one notation and width for all the values shown. */
class Formatter {
  intMode = true;
  sciMode = false;
  maxWidth = 1;

  constructor(values: ArrayLike<number>) {
    const vals: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isFinite(v) && v !== 0) vals.push(v);
    }
    if (vals.length === 0) return;
    let lo = Infinity;
    let hi = 0;
    for (const v of vals) {
      lo = Math.min(lo, Math.abs(v));
      hi = Math.max(hi, Math.abs(v));
      if (v !== Math.ceil(v)) this.intMode = false;
    }
    this.sciMode = hi / lo > 1000 || hi > 1e8 || (!this.intMode && lo < 1e-4);
    for (const v of vals) {
      const w = this.sciMode ? toExponentialPy(v, PRECISION).length : this.intMode ? toFixedEven(v, 0).length + 1 : toFixedEven(v, PRECISION).length;
      this.maxWidth = Math.max(this.maxWidth, w);
    }
  }

  format(v: number): string {
    let s: string;
    if (this.sciMode) s = special(v) ?? toExponentialPy(v, PRECISION);
    else if (this.intMode) s = special(v) ?? `${toFixedEven(v, 0)}.`;
    else s = special(v) ?? toFixedEven(v, PRECISION);
    if (Object.is(v, -0)) s = `-${s}`;
    return s.padStart(this.maxWidth);
  }
}

/** A view of a row-major block: the values of x at `offset` with `shape`. */
interface Block {
  data: FloatArray;
  offset: number;
  shape: number[];
}

function sub(b: Block, i: number): Block {
  const inner = shapeSize(b.shape.slice(1));
  return { data: b.data, offset: b.offset + i * inner, shape: b.shape.slice(1) };
}

/** Indices shown along a dimension of size n: all, or the first and last EDGE_ITEMS (null marks the `...`). */
function shown(n: number, summarize: boolean): Array<number | null> {
  if (summarize && n > 2 * EDGE_ITEMS) {
    const head = Array.from({ length: EDGE_ITEMS }, (_, i) => i);
    const tail = Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i);
    return [...head, null, ...tail];
  }
  return Array.from({ length: n }, (_, i) => i);
}

/** The values that will be printed (get_summarized_data), for the formatter. */
function collect(b: Block, summarize: boolean, out: number[]): void {
  if (b.shape.length === 0) {
    out.push(b.data[b.offset]);
    return;
  }
  for (const i of shown(b.shape[0], summarize)) if (i !== null) collect(sub(b, i), summarize, out);
}

function render(b: Block, indent: number, summarize: boolean, f: Formatter): string {
  const dim = b.shape.length;
  if (dim === 0) return f.format(b.data[b.offset]);
  if (dim === 1) {
    const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (f.maxWidth + 2)));
    const items = shown(b.shape[0], summarize).map((i) => (i === null ? ' ...' : f.format(b.data[b.offset + i])));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
  const slices = shown(b.shape[0], summarize).map((i) => (i === null ? '...' : render(sub(b, i), indent + 1, summarize, f)));
  return `[${slices.join(`,${'\n'.repeat(dim - 1)}${' '.repeat(indent + 1)}`)}]`;
}

/** PyTorch's _add_suffixes: `, suffix` on the last line, or on a new line past 80 columns. */
function addSuffixes(body: string, suffixes: string[], indent: number): string {
  const parts = [body];
  let lastLineLen = body.length - body.lastIndexOf('\n') + 1;
  for (const s of suffixes) {
    if (lastLineLen + s.length + 2 > LINE_WIDTH) {
      parts.push(`,\n${' '.repeat(indent)}${s}`);
      lastLineLen = indent + s.length;
    } else {
      parts.push(`, ${s}`);
      lastLineLen += s.length + 2;
    }
  }
  return `${parts.join('')})`;
}

/** The tensor printed as PyTorch prints it (see the header). */
export function formatTensor(t: Tensor): string {
  const prefix = 'tensor(';
  const indent = prefix.length;
  const suffixes: string[] = [];
  let body: string;
  if (t.size === 0) {
    if (t.ndim !== 1) suffixes.push(`size=${formatShape(t.shape)}`);
    body = '[]';
  } else {
    const summarize = t.size > THRESHOLD;
    const block: Block = { data: t.data, offset: 0, shape: t.shape };
    const values: number[] = [];
    collect(block, summarize, values);
    body = render(block, indent, summarize, new Formatter(values));
  }
  if (t.dtype !== 'float32') suffixes.push(`dtype=${t.dtype}`);
  if (t.requiresGrad) suffixes.push('requiresGrad=true');
  return addSuffixes(prefix + body, suffixes, indent);
}
