/**
 * PyTorch's own files: the state dict that `torch.save(model.state_dict(), 'model.pt')` writes,
 * read without Python, so a model trained in PyTorch reaches gradlab by the route PyTorch users
 * take (torch 1.13 has no safetensors module, and the `safetensors` package is often missing).
 *
 * The format (torch/serialization.py, `_save`, the default since PyTorch 1.6): a ZIP archive,
 * every entry stored uncompressed, under one top directory `<archive>/`:
 *   data.pkl      the object, pickled (protocol 2); each tensor is
 *                 `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
 *                 backward_hooks[, metadata])`, each storage a persistent id
 *                 ('storage', torch.FloatStorage, key, location, numel)
 *   data/<key>    a storage's bytes (little-endian unless `byteorder` says "big")
 *   byteorder     "little" | "big" (PyTorch ≥ 1.12; absent: little)
 *   version       the format version
 *
 * The pickle is read by a small machine that knows only the opcodes `torch.save` emits for
 * plain data (dicts, lists, tuples, strings, numbers) and only the globals a state dict uses
 * (OrderedDict, the tensor and parameter rebuilders, the storage classes): nothing in the
 * file can run code or name another Python object. A pickled whole module
 * (`torch.save(model)`), the pre-1.6 format and compressed archives are refused with what to
 * do instead. The state dict's tensors come out as safetensors entries (torch's dtype → 'F32',
 * 'I64', …), so everything that reads a safetensors state dict reads these; the whole saved
 * object comes out as plain JS data with Tensors (`object`).
 */
import { decodeElements, type SafetensorsDType, type SafetensorsEntry } from './safetensors.js';
import { Tensor } from '../tensor.js';

/** What a user should write in PyTorch, for messages. */
const HOW = "torch.save(model.state_dict(), 'model.pt')";

/** Whether the bytes are a ZIP archive (what torch.save writes since PyTorch 1.6). */
export function isTorchZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/**
 * Whether the bytes are torch.save's legacy format: a pickle (protocol 2) whose first object is
 * its magic number 0x1950a86a20f9469cfc6c (LONG1 of 10 bytes). The whole prefix is compared: a
 * safetensors file whose header is 640 bytes long also begins 0x80 0x02.
 */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
function isLegacyTorch(bytes: Uint8Array): boolean {
  return bytes.length >= LEGACY_MAGIC.length && LEGACY_MAGIC.every((b, i) => bytes[i] === b);
}

/** Whether the bytes are a file of torch.save's (the ZIP format or the legacy pickle). */
export function isTorchFile(bytes: Uint8Array): boolean {
  return isTorchZip(bytes) || isLegacyTorch(bytes);
}

// ---------------------------------------------------------------------------------------------
// ZIP (stored entries only, ZIP64 included: PyTorch writes ZIP64 records for large archives)

interface ZipEntry {
  /** Offset of the entry's bytes in the archive. */
  start: number;
  size: number;
  /** The compression method (0: stored, as torch.save writes every entry). */
  method: number;
}

function readZip(bytes: Uint8Array, name: string): Map<string, ZipEntry> {
  const fail = (msg: string): never => {
    throw new Error(`${name}: not a readable PyTorch file: ${msg}`);
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u64 = (o: number) => {
    const v = Number(dv.getBigUint64(o, true));
    if (!Number.isSafeInteger(v)) fail(`a ZIP64 field at byte ${o} is beyond 2^53`);
    return v;
  };
  // The end-of-central-directory record: 22 bytes plus a comment of up to 65,535.
  let eocd = -1;
  for (let o = bytes.length - 22; o >= Math.max(0, bytes.length - 22 - 0xffff); o--) {
    if (u32(o) === 0x06054b50) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) fail('no ZIP end-of-central-directory record (is the file truncated?)');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(loc) !== 0x07064b50) fail('a ZIP64 archive without its ZIP64 locator');
    const z = u64(loc + 8);
    if (z + 56 > bytes.length || u32(z) !== 0x06064b50) fail('the ZIP64 end-of-central-directory record is missing');
    count = u64(z + 32);
    cdSize = u64(z + 40);
    cdOffset = u64(z + 48);
  }
  if (cdOffset + cdSize > bytes.length) fail(`the central directory [${cdOffset}, ${cdOffset + cdSize}) lies beyond the file's ${bytes.length} bytes (is it truncated?)`);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let o = cdOffset;
  for (let i = 0; i < count; i++) {
    if (o + 46 > cdOffset + cdSize || u32(o) !== 0x02014b50) fail(`central directory entry ${i} is damaged`);
    const method = u16(o + 10);
    let size = u32(o + 20);
    let usize = u32(o + 24);
    const nameLen = u16(o + 28);
    const extraLen = u16(o + 30);
    const commentLen = u16(o + 32);
    let local = u32(o + 42);
    if (o + 46 + nameLen + extraLen + commentLen > cdOffset + cdSize) fail(`central directory entry ${i} runs past the directory`);
    const entryName = decoder.decode(bytes.subarray(o + 46, o + 46 + nameLen));
    // ZIP64 extra field: the 64-bit values of whichever fields hold 0xFFFFFFFF, in this order.
    for (let e = o + 46 + nameLen; e + 4 <= o + 46 + nameLen + extraLen; ) {
      const id = u16(e);
      const len = u16(e + 2);
      if (id === 0x0001) {
        let p = e + 4;
        if (usize === 0xffffffff) (usize = u64(p)), (p += 8);
        if (size === 0xffffffff) (size = u64(p)), (p += 8);
        if (local === 0xffffffff) local = u64(p);
      }
      e += 4 + len;
    }
    if (method === 0 && size !== usize) fail(`entry "${entryName}" is stored but has compressed size ${size} and size ${usize}`);
    if (local + 30 > bytes.length || u32(local) !== 0x04034b50) fail(`entry "${entryName}": its local header at byte ${local} is missing`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + size > bytes.length) fail(`entry "${entryName}" [${start}, ${start + size}) lies beyond the file's ${bytes.length} bytes (is it truncated?)`);
    entries.set(entryName, { start, size, method });
    o += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Pickle (the subset torch.save writes for plain data)

/** A Python global the machine knows: module and name. */
class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  toString(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A dict (dict or OrderedDict), in insertion order. */
class PyDict {
  readonly map = new Map<unknown, unknown>();
}

/** A storage: torch's dtype and its bytes' archive key. */
class Storage {
  constructor(readonly dtype: SafetensorsDType, readonly key: string, readonly numel: number) {}
}

/** A tensor before its bytes are read: a strided view of a storage. */
class TorchTensor {
  constructor(readonly storage: Storage, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}
}

/** Storage classes → dtype and element size. */
const STORAGES: Record<string, [SafetensorsDType, number]> = {
  FloatStorage: ['F32', 4],
  DoubleStorage: ['F64', 8],
  HalfStorage: ['F16', 2],
  BFloat16Storage: ['BF16', 2],
  LongStorage: ['I64', 8],
  IntStorage: ['I32', 4],
  ShortStorage: ['I16', 2],
  CharStorage: ['I8', 1],
  ByteStorage: ['U8', 1],
  BoolStorage: ['BOOL', 1],
};
const ELEMENT_SIZE: Partial<Record<SafetensorsDType, number>> = Object.fromEntries(Object.values(STORAGES));

/** The globals a state dict's pickle uses; any other is refused by name. */
const ALLOWED_GLOBALS = new Set(['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', ...Object.keys(STORAGES).map((s) => `torch.${s}`)]);

function refuseGlobal(g: string, name: string): never {
  if (/^torch\.nn\.|^__main__\./.test(g) || g === 'copyreg._reconstructor') {
    throw new Error(`${name}: this file pickles a whole module (${g}), not a state dict; gradlab reads weights only: in PyTorch, ${HOW}, and give gradlab the architecture (--arch)`);
  }
  throw new Error(`${name}: the pickle refers to the Python object ${g}, which a state dict does not hold; gradlab reads the dict of tensors that ${HOW} writes`);
}

/** Run the pickle in `p` and return its object; persistent ids (storages) through `persistent`. */
function unpickle(p: Uint8Array, name: string, persistent: (pid: unknown) => unknown): unknown {
  const fail = (msg: string): never => {
    throw new Error(`${name}: data.pkl: ${msg}`);
  };
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > p.length) fail(`truncated at byte ${pos} (needed ${n} more)`);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = p.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const str = (b: Uint8Array): string => {
    try {
      return text.decode(b);
    } catch {
      return fail(`a string at byte ${pos} is not valid UTF-8`);
    }
  };
  const line = (): string => {
    const end = p.indexOf(0x0a, pos);
    if (end < 0) fail(`truncated text at byte ${pos}`);
    const s = str(p.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail(`stack underflow at byte ${pos}`);
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    const items = stack;
    if (marks.length === 0) fail(`no mark at byte ${pos}`);
    stack = marks.pop()!;
    return items;
  };
  const setItems = (d: unknown, items: unknown[]) => {
    if (!(d instanceof PyDict)) fail(`SETITEM on a ${typeof d} at byte ${pos}`);
    if (items.length % 2 !== 0) fail(`odd number of dict items at byte ${pos}`);
    for (let i = 0; i < items.length; i += 2) (d as PyDict).map.set(items[i], items[i + 1]);
  };
  const append = (l: unknown, items: unknown[]) => {
    if (!Array.isArray(l)) fail(`APPEND on a non-list at byte ${pos}`);
    for (const it of items) (l as unknown[]).push(it);
  };
  const call = (f: unknown, args: unknown): unknown => {
    if (!(f instanceof PyGlobal)) return fail(`call of a non-function at byte ${pos}`);
    if (!Array.isArray(args)) return fail(`call of ${f} without an argument tuple`);
    const g = f.toString();
    if (g === 'collections.OrderedDict') return new PyDict();
    if (g === 'torch._utils._rebuild_parameter') return args[0];
    if (g === 'torch._utils._rebuild_tensor_v2') {
      const [storage, offset, size, stride] = args;
      const ints = (v: unknown) => Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0);
      if (!(storage instanceof Storage) || !Number.isSafeInteger(offset) || (offset as number) < 0 || !ints(size) || !ints(stride) || (size as number[]).length !== (stride as number[]).length) {
        return fail(`a tensor with a malformed storage, offset, size or stride (${g})`);
      }
      return new TorchTensor(storage, offset as number, (size as number[]).slice(), (stride as number[]).slice());
    }
    return refuseGlobal(g, name);
  };
  const int = (b: Uint8Array): number | bigint => {
    // LONG1: little-endian two's complement of any length; 0 bytes is 0.
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  for (;;) {
    need(1);
    const op = p[pos++];
    switch (op) {
      case 0x80: // PROTO
        take(1);
        break;
      case 0x95: // FRAME (protocol 4)
        take(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) fail('the stack does not hold exactly one object at STOP');
        return stack[0];
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: {
        // TUPLE (popMark replaces `stack`: take the items first)
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(dv.getInt32((need(4), (pos += 4) - 4), true));
        break;
      case 0x4b: // BININT1
        stack.push(take(1)[0]);
        break;
      case 0x4d: // BININT2
        stack.push(dv.getUint16((need(2), (pos += 2) - 2), true));
        break;
      case 0x8a: // LONG1
        stack.push(int(take(take(1)[0])));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        stack.push(dv.getFloat64((need(8), (pos += 8) - 8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(str(take(dv.getUint32((need(4), (pos += 4) - 4), true))));
        break;
      case 0x8c: // SHORT_BINUNICODE (protocol 4)
        stack.push(str(take(take(1)[0])));
        break;
      case 0x54: // BINSTRING
        stack.push(str(take(dv.getInt32((need(4), (pos += 4) - 4), true))));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(str(take(take(1)[0])));
        break;
      case 0x42: // BINBYTES
        stack.push(take(dv.getUint32((need(4), (pos += 4) - 4), true)).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(take(1)[0]).slice());
        break;
      case 0x71: // BINPUT
        memo.set(take(1)[0], stack[stack.length - 1]);
        break;
      case 0x72: // LONG_BINPUT
        memo.set(dv.getUint32((need(4), (pos += 4) - 4), true), stack[stack.length - 1]);
        break;
      case 0x94: // MEMOIZE (protocol 4)
        memo.set(memo.size, stack[stack.length - 1]);
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x68 ? take(1)[0] : dv.getUint32((need(4), (pos += 4) - 4), true);
        if (!memo.has(i)) fail(`memo entry ${i} read before it was written`);
        stack.push(memo.get(i));
        break;
      }
      case 0x63: {
        // GLOBAL
        const g = new PyGlobal(line(), line());
        if (!ALLOWED_GLOBALS.has(g.toString())) refuseGlobal(g.toString(), name);
        stack.push(g);
        break;
      }
      case 0x93: {
        // STACK_GLOBAL (protocol 4)
        const n = pop();
        const m = pop();
        if (typeof m !== 'string' || typeof n !== 'string') fail('STACK_GLOBAL without module and name strings');
        const g = new PyGlobal(m as string, n as string);
        if (!ALLOWED_GLOBALS.has(g.toString())) refuseGlobal(g.toString(), name);
        stack.push(g);
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD: an OrderedDict's attributes (state_dict's _metadata: module versions), ignored
        pop();
        if (stack.length === 0) fail(`BUILD with nothing to build at byte ${pos}`);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(stack[stack.length - 1], [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(stack[stack.length - 1], items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        append(stack[stack.length - 1], [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(stack[stack.length - 1], items);
        break;
      }
      default:
        fail(`pickle opcode 0x${op.toString(16)} at byte ${pos - 1} is not one torch.save writes for a state dict`);
    }
  }
}

// ---------------------------------------------------------------------------------------------

export interface TorchFile {
  /** The state dict's tensors under their keys, in the file's order. */
  tensors: Map<string, SafetensorsEntry>;
  /** Where in the saved object the state dict was ('' at the top; 'model_state_dict' in a training checkpoint's dict). */
  path: string;
  /**
   * The whole saved object, as `torch.load` returns it, in JS terms: a dict is a plain object
   * (its keys as strings: an optimizer's state `{0: …}` is `{'0': …}`), a list or tuple an array,
   * a tensor a Tensor (float64 stays float64, other dtypes become float32 holding their values,
   * as gradlab's integer tensors), None null, an int beyond 2^53 a bigint. So a training
   * checkpoint reads as the tutorial reads it: `checkpoint.model_state_dict`,
   * `checkpoint.optimizer_state_dict`, `checkpoint.epoch`, `checkpoint.loss.item()`.
   */
  object: unknown;
}

/** Whether a pickled value is a state dict: a dict of string keys → tensors. */
function isStateDict(v: unknown): v is PyDict {
  return v instanceof PyDict && v.map.size > 0 && [...v.map].every(([k, t]) => typeof k === 'string' && t instanceof TorchTensor);
}

/**
 * The state dict in the bytes of a `torch.save` file, as safetensors entries: the saved object
 * itself when it is a dict of tensors, or the one dict of tensors inside it (a training
 * checkpoint `{'model_state_dict': …, 'optimizer_state_dict': …, 'epoch': …}`); and the whole
 * saved object (`object`, as torch.load returns it), which is all a file with no single state
 * dict has (`tensors` then throws saying so).
 */
export function parseTorchFile(bytes: Uint8Array, name = 'PyTorch file'): TorchFile {
  if (!isTorchZip(bytes)) {
    if (isLegacyTorch(bytes)) throw new Error(`${name}: this is torch.save's legacy format (PyTorch < 1.6, or _use_new_zipfile_serialization=False), which gradlab does not read; save it again with ${HOW}`);
    throw new Error(`${name}: not a PyTorch file (a torch.save ZIP archive begins with "PK")`);
  }
  const zip = readZip(bytes, name);
  const pkl = [...zip.keys()].find((k) => /^[^/]+\/data\.pkl$/.test(k));
  if (pkl === undefined) throw new Error(`${name}: a ZIP archive without <name>/data.pkl, so not a file torch.save wrote (entries: ${[...zip.keys()].slice(0, 5).join(', ')})`);
  const root = pkl.slice(0, -'data.pkl'.length);
  const entry = (key: string) => {
    const e = zip.get(root + key);
    if (e && e.method !== 0) throw new Error(`${name}: entry "${root + key}" is compressed (method ${e.method}); torch.save stores entries uncompressed (was the archive re-zipped?) — save it again with ${HOW}`);
    return e;
  };
  const order = entry('byteorder');
  const bigEndian = order !== undefined && new TextDecoder().decode(bytes.subarray(order.start, order.start + order.size)).trim() === 'big';
  const storages = new Map<string, Storage>();
  const pe = entry('data.pkl')!;
  const obj = unpickle(bytes.subarray(pe.start, pe.start + pe.size), name, (pid) => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof PyGlobal) || typeof pid[2] !== 'string' || !Number.isSafeInteger(pid[4])) {
      throw new Error(`${name}: data.pkl: a persistent id that is not a storage (${String(pid).slice(0, 60)})`);
    }
    if (pid[1].module !== 'torch' || !(pid[1].name in STORAGES)) throw new Error(`${name}: data.pkl: storage "${String(pid[2])}" has the type ${pid[1]}, not a storage class`);
    const [dtype, size] = STORAGES[pid[1].name];
    const key = pid[2] as string;
    const e = entry(`data/${key}`);
    if (e === undefined) throw new Error(`${name}: storage "${key}" has no data/${key} entry (is the archive incomplete?)`);
    if (e.size < (pid[4] as number) * size) throw new Error(`${name}: storage "${key}" should hold ${pid[4]} ${dtype} elements (${(pid[4] as number) * size} bytes) but data/${key} has ${e.size} bytes`);
    let s = storages.get(key);
    if (s === undefined) storages.set(key, (s = new Storage(dtype, key, pid[4] as number)));
    return s;
  });
  // The state dict: the object itself, or the one dict of tensors inside it. Otherwise (several
  // models' state dicts in one file, a single tensor, …) `object` still holds what was saved, and
  // reading `tensors` is the error that says why there is no one state dict.
  let found: PyDict | null = null;
  let problem = '';
  let path = '';
  if (isStateDict(obj)) found = obj;
  else {
    const inner = obj instanceof PyDict ? [...obj.map].filter(([k, v]) => typeof k === 'string' && isStateDict(v)) : [];
    if (inner.length !== 1) {
      const what = obj instanceof PyDict ? `a dict with keys ${[...obj.map.keys()].slice(0, 8).map((k) => JSON.stringify(k)).join(', ')}` : Array.isArray(obj) ? 'a list or tuple' : obj instanceof TorchTensor ? 'a single tensor' : `a ${obj === null ? 'None' : typeof obj}`;
      problem = `${name}: holds ${what}${inner.length > 1 ? `, with several state dicts (${inner.map(([k]) => JSON.stringify(k)).join(', ')}): take each from .object (checkpoint.${String(inner[0][0])}), or save the model's alone` : ', not a state dict'}; gradlab reads the dict of tensors that ${HOW} writes, and .object holds whatever was saved`;
    } else {
      path = inner[0][0] as string;
      found = inner[0][1] as PyDict;
    }
  }
  // Every element produced, bounded: views may share a storage, so a small file could otherwise ask for any amount.
  let budget = 4 * bytes.length + (1 << 20);
  const read = new Map<TorchTensor, SafetensorsEntry>();
  const readTensor = (key: string, t: TorchTensor): SafetensorsEntry => {
    const done = read.get(t);
    if (done !== undefined) return done;
    const size = ELEMENT_SIZE[t.storage.dtype]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if ((budget -= count) < 0) throw new Error(`${name}: tensor "${key}": the tensors' views ask for more elements than the file could hold`);
    // The last element's index must lie inside the storage.
    const last = count === 0 ? 0 : t.offset + t.shape.reduce((a, d, i) => a + (d - 1) * t.stride[i], 0);
    if (count > 0 && last >= t.storage.numel) throw new Error(`${name}: tensor "${key}" (shape [${t.shape.join(', ')}], stride [${t.stride.join(', ')}], offset ${t.offset}) reaches beyond its storage of ${t.storage.numel} elements`);
    const e = entry(`data/${t.storage.key}`)!;
    const src = bytes.subarray(e.start, e.start + e.size);
    const raw = new Uint8Array(count * size);
    // Gather row-major, one element at a time unless the view is contiguous.
    let contiguous = true;
    for (let i = t.shape.length - 1, want = 1; i >= 0; i--) {
      if (t.shape[i] !== 1 && t.stride[i] !== want) contiguous = false;
      want *= t.shape[i];
    }
    if (contiguous) raw.set(src.subarray(t.offset * size, (t.offset + count) * size));
    else {
      const idx = new Array<number>(t.shape.length).fill(0);
      for (let n = 0; n < count; n++) {
        let off = t.offset;
        for (let i = 0; i < idx.length; i++) off += idx[i] * t.stride[i];
        raw.set(src.subarray(off * size, off * size + size), n * size);
        for (let i = idx.length - 1; i >= 0 && ++idx[i] === t.shape[i]; i--) idx[i] = 0;
      }
    }
    if (bigEndian && size > 1) for (let o = 0; o < raw.length; o += size) raw.subarray(o, o + size).reverse();
    const out: SafetensorsEntry = { dtype: t.storage.dtype, shape: t.shape, data: decodeElements(raw, t.storage.dtype, count, `tensor "${key}"`, name) };
    read.set(t, out);
    return out;
  };
  const tensors = new Map<string, SafetensorsEntry>();
  if (found !== null) for (const [k, v] of found.map) tensors.set(k as string, readTensor(k as string, v as TorchTensor));
  // The whole object in JS terms; `at` names where a tensor sits, for messages.
  const toJs = (v: unknown, at: string): unknown => {
    if (v instanceof TorchTensor) {
      const { data, shape } = readTensor(at, v);
      return new Tensor(data instanceof Float32Array || data instanceof Float64Array ? data : Float32Array.from(data as ArrayLike<number | bigint>, Number), shape);
    }
    if (v instanceof PyDict) return Object.fromEntries([...v.map].map(([k, x]) => [String(k), toJs(x, `${at}${at ? '.' : ''}${String(k)}`)]));
    if (Array.isArray(v)) return v.map((x, i) => toJs(x, `${at}[${i}]`));
    if (v instanceof PyGlobal || v instanceof Storage) return String(v);
    return v === undefined ? null : v;
  };
  const object = toJs(obj, '');
  if (found !== null) return { tensors, path, object };
  return {
    get tensors(): Map<string, SafetensorsEntry> {
      throw new Error(problem);
    },
    path,
    object,
  };
}

// ---------------------------------------------------------------------------------------------
// Writing: what torch.save writes, so that PyTorch's torch.load reads gradlab's files

/** CRC-32 (ZIP's, polynomial 0xEDB88320) of `b`. */
function crc32(b: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < b.length; i++) {
    c ^= b[i];
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A ZIP archive of stored (uncompressed) entries, as torch.save writes (no ZIP64: under 4 GiB). */
function writeZip(entries: Array<[string, Uint8Array]>, name: string): Uint8Array {
  const enc = new TextEncoder();
  const total = entries.reduce((s, [n, d]) => s + 30 + 46 + 2 * enc.encode(n).length + d.length, 22);
  if (total > 0xffffffff) throw new Error(`${name}: ${total} bytes is beyond what a ZIP without ZIP64 holds (4 GiB)`);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let o = 0;
  const central: Array<{ n: Uint8Array; crc: number; size: number; at: number }> = [];
  for (const [n, d] of entries) {
    const nb = enc.encode(n);
    const crc = crc32(d);
    central.push({ n: nb, crc, size: d.length, at: o });
    dv.setUint32(o, 0x04034b50, true);
    dv.setUint16(o + 4, 20, true); // version needed
    dv.setUint16(o + 12, 0x21, true); // 1980-01-01, as a fixed date
    dv.setUint32(o + 14, crc, true);
    dv.setUint32(o + 18, d.length, true);
    dv.setUint32(o + 22, d.length, true);
    dv.setUint16(o + 26, nb.length, true);
    out.set(nb, o + 30);
    out.set(d, o + 30 + nb.length);
    o += 30 + nb.length + d.length;
  }
  const cdOffset = o;
  for (const e of central) {
    dv.setUint32(o, 0x02014b50, true);
    dv.setUint16(o + 4, 20, true);
    dv.setUint16(o + 6, 20, true);
    dv.setUint16(o + 14, 0x21, true);
    dv.setUint32(o + 16, e.crc, true);
    dv.setUint32(o + 20, e.size, true);
    dv.setUint32(o + 24, e.size, true);
    dv.setUint16(o + 28, e.n.length, true);
    dv.setUint32(o + 42, e.at, true);
    out.set(e.n, o + 46);
    o += 46 + e.n.length;
  }
  dv.setUint32(o, 0x06054b50, true);
  dv.setUint16(o + 8, entries.length, true);
  dv.setUint16(o + 10, entries.length, true);
  dv.setUint32(o + 12, o - cdOffset, true);
  dv.setUint32(o + 16, cdOffset, true);
  return out;
}

/**
 * The bytes `torch.save(obj, path)` would write for `obj` in JS terms (the inverse of
 * TorchFile.object): a Tensor is a torch tensor (float64 stays float64, everything else float32),
 * a plain object or a Map (string or integer keys) a dict (a model's stateDict() an OrderedDict, as
 * PyTorch's), an array a list, a number an int or a float, a string, a boolean, null a None.
 * So `torch.load` in PyTorch reads gradlab's state dicts and checkpoints, and loadTorchFile
 * reads them back. Anything else (a function, a Module) is an error naming where it is.
 */
export function serializeTorchFile(obj: unknown, name = 'torch file'): Uint8Array {
  const enc = new TextEncoder();
  const chunks: number[] = [];
  const storages: Uint8Array[] = [];
  const byte = (...b: number[]) => chunks.push(...b);
  const u32 = (v: number) => byte(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const str = (s: string) => {
    const b = enc.encode(s);
    byte(0x58); // BINUNICODE
    u32(b.length);
    for (const x of b) chunks.push(x);
  };
  const global = (module: string, n: string) => {
    byte(0x63); // GLOBAL
    for (const x of enc.encode(`${module}\n${n}\n`)) chunks.push(x);
  };
  const int = (v: number | bigint) => {
    if (typeof v === 'number' && v >= -0x80000000 && v <= 0x7fffffff) {
      byte(0x4a); // BININT
      u32(v);
      return;
    }
    // LONG1: little-endian two's complement, as few bytes as hold it
    let x = BigInt(v);
    const bytes: number[] = [];
    for (;;) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
      const sign = bytes[bytes.length - 1] & 0x80;
      if ((x === 0n && !sign) || (x === -1n && sign)) break;
    }
    byte(0x8a, bytes.length, ...bytes);
  };
  const float = (v: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, false);
    byte(0x47, ...b); // BINFLOAT, big-endian
  };
  const tensorOf = (t: Tensor) => {
    const f64 = t.data instanceof Float64Array;
    const data = f64 ? Float64Array.from(t.data) : Float32Array.from(t.data);
    const key = String(storages.length);
    const raw = new Uint8Array(data.buffer);
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) for (let o = 0; o < raw.length; o += data.BYTES_PER_ELEMENT) raw.subarray(o, o + data.BYTES_PER_ELEMENT).reverse();
    storages.push(raw);
    global('torch._utils', '_rebuild_tensor_v2');
    byte(0x28); // MARK: the arguments
    byte(0x28); // the persistent id ('storage', class, key, location, numel)
    str('storage');
    global('torch', f64 ? 'DoubleStorage' : 'FloatStorage');
    str(key);
    str('cpu');
    int(data.length);
    byte(0x74, 0x51); // TUPLE, BINPERSID
    int(0); // storage offset
    const strides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    for (const dims of [t.shape, strides]) {
      byte(0x28);
      for (const d of dims) int(d);
      byte(0x74);
    }
    byte(0x89); // requires_grad False
    global('collections', 'OrderedDict');
    byte(0x29, 0x52); // EMPTY_TUPLE, REDUCE: backward_hooks
    byte(0x74, 0x52); // TUPLE, REDUCE
  };
  const put = (v: unknown, at: string): void => {
    if (v instanceof Tensor) return tensorOf(v);
    if (v === null || v === undefined) return void byte(0x4e);
    if (typeof v === 'boolean') return void byte(v ? 0x88 : 0x89);
    if (typeof v === 'bigint') return int(v);
    if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0) ? int(v) : float(v);
    if (typeof v === 'string') return str(v);
    if (Array.isArray(v)) {
      byte(0x5d, 0x28); // EMPTY_LIST, MARK
      v.forEach((x, i) => put(x, `${at}[${i}]`));
      return void byte(0x65); // APPENDS
    }
    const plain = v instanceof Map || (typeof v === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v)));
    if (!plain) throw new Error(`${name}: ${at || 'the object'} is ${typeof v === 'object' ? `a ${(v as object).constructor?.name ?? 'object'}` : `a ${typeof v}`}, which a torch file cannot hold (tensors, numbers, strings, booleans, null, arrays and plain objects)`);
    const items = v instanceof Map ? [...v] : Object.entries(v as object);
    // A dict of tensors (a state dict) is an OrderedDict, as torch.save writes model.state_dict().
    if (items.length > 0 && items.every(([, x]) => x instanceof Tensor)) {
      global('collections', 'OrderedDict');
      byte(0x29, 0x52);
    } else byte(0x7d); // EMPTY_DICT
    byte(0x28);
    for (const [k, x] of items) {
      // String keys; a Map may also have integer ones (an optimizer's state by parameter id).
      if (typeof k === 'string') str(k);
      else if (Number.isSafeInteger(k)) int(k as number);
      else throw new Error(`${name}: ${at || 'the object'} has the key ${String(k)}, neither a string nor an integer`);
      put(x, `${at}${at ? '.' : ''}${k}`);
    }
    byte(0x75); // SETITEMS
  };
  byte(0x80, 2); // PROTO 2
  put(obj, '');
  byte(0x2e); // STOP
  const entries: Array<[string, Uint8Array]> = [['archive/data.pkl', Uint8Array.from(chunks)], ['archive/byteorder', enc.encode('little')]];
  storages.forEach((s, i) => entries.push([`archive/data/${i}`, s]));
  entries.push(['archive/version', enc.encode('3\n')]);
  return writeZip(entries, name);
}
