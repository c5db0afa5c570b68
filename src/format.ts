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
 * Python's `{:.pf}` (fixed) and `{:.pe}` (scientific): rounded from the exact decimal value of
 * the double, to nearest with ties to even (JavaScript's toFixed/toExponential round ties up,
 * e.g. 1.03125 → 1.0313 where Python prints 1.0312), the sign kept on −0 and on negatives that
 * round to zero, and the exponent written with at least two digits.
 */
function pyFormat(x: number, p: number, sci: boolean): string {
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  // 101 significant digits: the exact decimal expansion of any float32 value in the normal range.
  const [mantissa, e] = Math.abs(x).toExponential(100).split('e');
  const digits = mantissa.replace('.', '');
  let exp = Number(e);
  const n = sci ? p + 1 : exp + 1 + p;
  let k = n > 0 ? BigInt(digits.slice(0, n)) : 0n;
  if (n >= 0) {
    const rest = digits.slice(Math.max(n, 0));
    const half = rest[0] === '5' && !/[1-9]/.test(rest.slice(1));
    if (rest[0] > '5' || (rest[0] === '5' && (!half || k % 2n === 1n))) k += 1n;
  }
  let ks = k.toString();
  if (sci) {
    if (ks.length > p + 1) {
      ks = ks.slice(0, p + 1);
      exp += 1;
    }
    const mant = p > 0 ? `${ks[0]}.${ks.slice(1)}` : ks;
    const ex = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${ex}`;
  }
  ks = ks.padStart(p + 1, '0');
  return sign + (p > 0 ? `${ks.slice(0, -p)}.${ks.slice(-p)}` : ks);
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
      const w = this.sciMode ? pyFormat(v, PRECISION, true).length : this.intMode ? pyFormat(v, 0, false).length + 1 : pyFormat(v, PRECISION, false).length;
      this.maxWidth = Math.max(this.maxWidth, w);
    }
  }

  format(v: number): string {
    let s: string;
    if (this.sciMode) s = special(v) ?? pyFormat(v, PRECISION, true);
    else if (this.intMode) s = special(v) ?? `${pyFormat(v, 0, false)}.`;
    else s = special(v) ?? pyFormat(v, PRECISION, false);
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
  let data: FloatArray;
  try {
    data = t.data;
  } catch {
    // Storage released (dispose, stepScope): printing must not throw, in a log line least of all.
    return `${prefix}<released>, size=${formatShape(t.shape)})`;
  }
  let body: string;
  if (t.size === 0) {
    if (t.ndim !== 1) suffixes.push(`size=${formatShape(t.shape)}`);
    body = '[]';
  } else {
    const summarize = t.size > THRESHOLD;
    const block: Block = { data, offset: 0, shape: t.shape };
    const values: number[] = [];
    collect(block, summarize, values);
    body = render(block, indent, summarize, new Formatter(values));
  }
  if (t.dtype !== 'float32') suffixes.push(`dtype=${t.dtype}`);
  if (t.requiresGrad) suffixes.push('requiresGrad=true');
  return addSuffixes(prefix + body, suffixes, indent);
}
