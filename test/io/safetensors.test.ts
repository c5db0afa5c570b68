import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { tensor, Tensor } from '../../src/tensor.js';
import {
  serializeSafetensors, parseSafetensors, entryToTensor, readSafetensorsHeader, MAX_HEADER_SIZE,
  type SafetensorsInput,
} from '../../src/io/safetensors.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const ref = JSON.parse(readFileSync(join(fixtures, 'reference.json'), 'utf8')) as {
  writable: Record<string, { dtype: 'F32' | 'F64' | 'I64'; shape: number[]; values: number[] }>;
  metadata: Record<string, string>;
  readOnly: Record<string, { dtype: string; shape: number[]; values: number[] }>;
};

const enc = new TextEncoder();

/** Build a file by hand: header JSON text (unpadded) + data bytes. */
function rawFile(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), declaredLength?: bigint): Uint8Array {
  const h = typeof header === 'string' ? enc.encode(header) : header;
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors writer matches the reference implementation', () => {
  // Byte vectors from the reference crate's own tests (safetensors/src/tensor.rs).
  it('reproduces test_serialization ("attn.0", F32 [1,2,3])', () => {
    const out = serializeSafetensors({ 'attn.0': tensor([0, 1, 2, 3, 4, 5], [1, 2, 3]) });
    expect(Array.from(out)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34,
      44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116,
      115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
  });

  it('reproduces test_serialization_forced_alignement (space padding)', () => {
    const out = serializeSafetensors({ attn0: tensor([0, 1, 2, 3, 4, 5], [1, 1, 2, 3]) });
    expect(Array.from(out.subarray(0, 8))).toEqual([72, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(out.subarray(8 + 65, 8 + 72))).toEqual([32, 32, 32, 32, 32, 32, 32]);
    expect((8 + 72) % 8).toBe(0);
  });

  it('reproduces test_empty, with and without metadata', () => {
    expect(Array.from(serializeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(serializeSafetensors({}, { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114, 97, 109, 101,
      119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });

  it('is byte-identical to the file written by the independent Python script', () => {
    const inputs: Record<string, SafetensorsInput> = {};
    // Insert in a scrambled order: the writer must sort (dtype desc, then name bytes).
    for (const name of Object.keys(ref.writable).reverse()) {
      const t = ref.writable[name];
      inputs[name] = t.dtype === 'F32' ? tensor(t.values, t.shape) : { dtype: t.dtype, shape: t.shape, data: t.values };
    }
    const ours = serializeSafetensors(inputs, ref.metadata);
    const theirs = new Uint8Array(readFileSync(join(fixtures, 'reference.safetensors')));
    expect(Buffer.from(ours).toString('latin1')).toBe(Buffer.from(theirs).toString('latin1'));
  });

  it('orders integer-like names as strings (not as JSON.stringify would)', () => {
    const out = serializeSafetensors({ '10': tensor([1]), '2': tensor([2]), b: tensor([3]) });
    const text = new TextDecoder().decode(out.subarray(8, 8 + Number(new DataView(out.buffer).getBigUint64(0, true))));
    expect(text.indexOf('"10"')).toBeLessThan(text.indexOf('"2"'));
    expect(text.indexOf('"2"')).toBeLessThan(text.indexOf('"b"'));
  });
});

describe('safetensors reader', () => {
  it('reads the Python-written file: values, shapes, dtypes, metadata', () => {
    const f = parseSafetensors(new Uint8Array(readFileSync(join(fixtures, 'reference.safetensors'))));
    expect(f.metadata).toEqual(ref.metadata);
    expect(new Set(f.tensors.keys())).toEqual(new Set(Object.keys(ref.writable)));
    for (const [name, t] of Object.entries(ref.writable)) {
      const e = f.tensors.get(name)!;
      expect(e.dtype).toBe(t.dtype);
      expect(e.shape).toEqual(t.shape);
      if (t.dtype === 'I64') expect(Array.from(e.data as BigInt64Array, Number)).toEqual(t.values);
      else if (t.dtype === 'F64') expect(Array.from(e.data as ArrayLike<number>)).toEqual(t.values);
      else expect(Array.from(e.data as ArrayLike<number>)).toEqual(Array.from(Float32Array.from(t.values)));
    }
    expect(Object.is(f.tensors.get('0.weight')!.data[4], -0)).toBe(true);
    expect(entryToTensor(f.tensors.get('1.num_batches_tracked')!).item()).toBe(12345);
  });

  it('reads I32 and U8 tensors', () => {
    const f = parseSafetensors(new Uint8Array(readFileSync(join(fixtures, 'reference_read.safetensors'))));
    expect(f.metadata).toBeNull();
    const labels = f.tensors.get('labels')!;
    expect(labels.data).toBeInstanceOf(Int32Array);
    expect(Array.from(labels.data as ArrayLike<number>)).toEqual(ref.readOnly.labels.values);
    const px = f.tensors.get('pixels')!;
    expect(px.data).toBeInstanceOf(Uint8Array);
    expect(px.shape).toEqual([2, 2]);
    expect(Array.from(px.data as ArrayLike<number>)).toEqual([0, 1, 128, 255]);
    expect(entryToTensor(px).data).toEqual(new Float32Array([0, 1, 128, 255]));
  });

  it('round trips F32, F64 and I64 tensors, and works from an unaligned view', () => {
    const a = tensor([1.5, -2, 3e-8, 4], [2, 2]);
    const b = new Tensor(new Float64Array([Math.PI, -1e300]), [2]);
    const c = { dtype: 'I64' as const, shape: [3], data: new BigInt64Array([-1n, 2n ** 62n, 0n]) };
    const bytes = serializeSafetensors({ a, b, c }, { note: 'x' });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const f = parseSafetensors(shifted.subarray(3));
    expect(f.tensors.get('a')!.data).toEqual(a.data);
    expect(f.tensors.get('b')!.data).toEqual(b.data);
    expect(f.tensors.get('c')!.data).toEqual(c.data);
    expect(entryToTensor(f.tensors.get('b')!).dtype).toBe('float64');
    expect(() => entryToTensor(f.tensors.get('c')!, 'c')).toThrow(/c: I64 value 4611686018427387904 at index 1 is beyond 2\^53/);
  });

  it('reads F16 and BF16 by widening to float32', () => {
    const data = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f, 0x00, 0x7c]); // f16: 1, -2; bf16: 1, f16 +inf
    const header = '{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"z":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},"i":{"dtype":"F16","shape":[1],"data_offsets":[6,8]}}';
    const f = parseSafetensors(rawFile(header, data));
    expect(Array.from(f.tensors.get('h')!.data as ArrayLike<number>)).toEqual([1, -2]);
    expect(Array.from(f.tensors.get('z')!.data as ArrayLike<number>)).toEqual([1]);
    expect(Array.from(f.tensors.get('i')!.data as ArrayLike<number>)).toEqual([Infinity]);
  });

  it('rejects writing reserved names, bad shapes and non-integer I64', () => {
    expect(() => serializeSafetensors({ __metadata__: tensor([1]) })).toThrow(/"__metadata__" is reserved/);
    expect(() => serializeSafetensors({ a: { dtype: 'F32', shape: [3], data: [1, 2] } })).toThrow(/tensor "a": 2 values cannot take shape \[3\]/);
    expect(() => serializeSafetensors({ a: { dtype: 'I64', shape: [1], data: [1.5] } })).toThrow(/I64 value 1.5/);
    expect(() => serializeSafetensors({ a: { dtype: 'U8', shape: [1], data: [1] } as unknown as SafetensorsInput })).toThrow(/cannot write dtype U8/);
    expect(() => serializeSafetensors({}, { a: 3 as unknown as string })).toThrow(/metadata value of "a" must be a string/);
    expect(() => serializeSafetensors({ ['x\uD800']: tensor([1]) })).toThrow(/lone UTF-16 surrogate/);
  });
});

describe('safetensors reader rejects every corruption with a specific message', () => {
  const good = serializeSafetensors({ w: tensor([1, 2, 3, 4], [2, 2]), b: tensor([5, 6]) }, { k: 'v' });
  const t = (h: object, dataLen: number): Uint8Array => rawFile(JSON.stringify(h), new Uint8Array(dataLen));

  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty file', new Uint8Array(0), /0 bytes, too short for the 8-byte header length/],
    ['7 bytes', new Uint8Array(7), /7 bytes, too short/],
    ['header length beyond 100 MB', rawFile('{}', undefined, BigInt(MAX_HEADER_SIZE) + 1n), /exceeds the 100000000-byte limit/],
    ['header length 2^64−1', rawFile('{}', undefined, 2n ** 64n - 1n), /exceeds the 100000000-byte limit/],
    ['header length beyond the file', rawFile('{}', undefined, 1000n), /header length 1000 exceeds the file: only 2 bytes follow/],
    ['truncated file', good.subarray(0, 40), /exceeds the file/],
    ['invalid UTF-8', rawFile(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /header is not valid UTF-8/],
    ['not starting with {', rawFile('  {}'), /does not start with "\{"/],
    ['invalid JSON', rawFile('{"a":'), /header is not valid JSON/],
    ['JSON array', rawFile('[1,2]'), /does not start with "\{"/],
    ['entry not an object', t({ a: 3 }, 0), /tensor "a": entry must be an object/],
    ['unknown dtype', t({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16), /tensor "a": unknown dtype "F128"/],
    ['negative dimension', t({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /tensor "a": shape must be an array of non-negative integers/],
    ['fractional dimension', t({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4), /shape must be an array of non-negative integers/],
    ['missing offsets', t({ a: { dtype: 'F32', shape: [1] } }, 4), /tensor "a": data_offsets must be \[begin, end\]/],
    ['three offsets', t({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, 4), /data_offsets must be \[begin, end\]/],
    ['end before begin', t({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, 4), /end before they begin/],
    ['offsets past the buffer', t({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4), /reach past the data section \(4 bytes\)/],
    ['shape × dtype ≠ span', t({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] span 8/],
    ['overflowing shape', t({ a: { dtype: 'F64', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 8] } }, 8), /too large/],
    ['gap', t({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12), /gap in the data section: bytes \[4, 8\) before tensor "b"/],
    ['gap at the start', t({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /gap in the data section: bytes \[0, 4\)/],
    ['overlap', t({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /tensors "a" and "b" overlap/],
    ['trailing bytes', t({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 12), /data section has 12 bytes but the tensors cover 4 \(8 trailing bytes\)/],
    ['metadata not an object', t({ __metadata__: ['x'] }, 0), /"__metadata__" must be an object of strings/],
    ['metadata value not a string', t({ __metadata__: { epoch: 3 } }, 0), /metadata value of "epoch" must be a string, got number/],
    ['undecodable F8 dtype', t({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, 1), /dtype F8_E4M3 is valid safetensors but gradlab cannot decode it/],
    ['BOOL byte not 0/1', rawFile('{"a":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}', new Uint8Array([2])), /BOOL element 0 is 2/],
  ];
  for (const [label, bytes, msg] of cases) {
    it(`rejects: ${label}`, () => {
      expect(() => parseSafetensors(bytes, 'model.safetensors')).toThrow(msg);
      expect(() => parseSafetensors(bytes, 'model.safetensors')).toThrow(/^model\.safetensors: /);
    });
  }

  it('accepts the well-formed file these were derived from, and null metadata', () => {
    expect(parseSafetensors(good).tensors.size).toBe(2);
    expect(parseSafetensors(t({ __metadata__: null }, 0)).metadata).toBeNull();
    const h = readSafetensorsHeader(good);
    expect(h.dataStart % 8).toBe(0);
    expect(h.entries.map((e) => e.name)).toEqual(['b', 'w']);
  });

  it('never crashes or hangs on random corruption of a valid file', () => {
    let seed = 12345;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 2000; trial++) {
      const bytes = good.slice();
      const flips = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < flips; k++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
      const cut = rnd() < 0.3 ? Math.floor(rnd() * bytes.length) : bytes.length;
      try {
        parseSafetensors(bytes.subarray(0, cut), 'fuzz');
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(/^fuzz: /);
      }
    }
  });
});
