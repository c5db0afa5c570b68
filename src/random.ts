/**
 * The seeded generator: the only source of randomness in gradlab (initializers, dropout
 * masks, shuffling, synthetic data). Same seed → same numbers, on every platform, because
 * everything is integer arithmetic on 32-bit words.
 *
 * xoshiro128** (Blackman & Vigna 2018), seeded through splitmix32. Normals come from the
 * Box–Muller transform, caching the second value of each pair.
 */

export interface GeneratorState {
  s: [number, number, number, number];
  /** Cached second normal of the last Box–Muller pair, or null. */
  spare: number | null;
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Generator {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Reset from an integer seed (any safe integer; the high and low words are mixed in). */
  seed(seed: number): void {
    if (!Number.isSafeInteger(seed)) throw new Error(`manualSeed: seed must be a safe integer, got ${seed}`);
    const lo = splitmix32(seed >>> 0);
    const hi = splitmix32(Math.floor(seed / 2 ** 32) ^ 0x5bd1e995);
    for (let i = 0; i < 4; i++) this.s[i] = (lo() ^ hi()) >>> 0;
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    this.spare = null;
  }

  /** Reseed and return this generator, as PyTorch's `g = torch.Generator().manual_seed(2147483647)`. */
  manualSeed(seed: number): this {
    this.seed(seed);
    return this;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const a = this.nextU32() >>> 5; // 27 bits
    const b = this.nextU32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.random();
  }

  /** Standard normal N(0, 1) scaled to N(mean, std²). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** A uniformly random permutation of 0..n−1 (Fisher–Yates), written into `out` if given. */
  permutation(n: number, out: Int32Array = new Int32Array(n)): Int32Array {
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  getState(): GeneratorState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]], spare: this.spare };
  }

  setState(state: GeneratorState): void {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4) throw new Error('Generator.setState: expected {s: [4 numbers], spare}');
    for (let i = 0; i < 4; i++) this.s[i] = state.s[i] >>> 0;
    this.spare = state.spare ?? null;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The global generator, seeded with 0 until `manualSeed` is called. */
export const defaultGenerator = new Generator(0);

/** Seed the global generator (as `torch.manual_seed`). */
export function manualSeed(seed: number): Generator {
  defaultGenerator.seed(seed);
  return defaultGenerator;
}
