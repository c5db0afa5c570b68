/**
 * Exact resumption support.
 *
 * fit() derives its own shuffling generator with one draw from the global generator when
 * it starts (`new Generator(defaultGenerator.nextU32())`). The CLI shuffles with its own
 * DataLoader generator, so that draw is unused — but it still advances the global
 * generator, which drives dropout. A resumed run therefore starts from the state one step
 * *before* the saved one, so that after fit's draw the global generator is exactly where the
 * uninterrupted run had it. xoshiro128** is a bijection on its state, so that predecessor
 * exists and is computed below. (test/cli/resume.test.ts checks that 2 epochs and 1 + resume 1
 * give bit-identical weights, so a change in fit's draws would be caught.)
 */
import { Generator, type GeneratorState } from '../random.js';

const rotr = (x: number, k: number): number => ((x >>> k) | (x << (32 - k))) >>> 0;

/** Solve x ^ (x << 9) = c over 32-bit words: x = c ^ c<<9 ^ c<<18 ^ c<<27. */
function unshiftXor9(c: number): number {
  return (c ^ (c << 9) ^ (c << 18) ^ (c << 27)) >>> 0;
}

/** The state from which one nextU32() leads to `state` (the Box–Muller spare is untouched by nextU32). */
export function previousGeneratorState(state: GeneratorState): GeneratorState {
  const [a0, a1, a2, a3] = state.s.map((v) => v >>> 0);
  // Forward step: t = s1<<9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11).
  const s3x = rotr(a3, 11); // s3 ^ s1
  const s0 = (a0 ^ s3x) >>> 0;
  const s1 = unshiftXor9((a1 ^ a2) >>> 0); // a1 ^ a2 = s1 ^ (s1 << 9)
  const s2x = (a1 ^ s1) >>> 0; // s2 ^ s0
  const s2 = (s2x ^ s0) >>> 0;
  const s3 = (s3x ^ s1) >>> 0;
  return { s: [s0, s1, s2, s3], spare: state.spare };
}

/** Self-check used by tests: one step from the predecessor gives the state back. */
export function checkPredecessor(state: GeneratorState): boolean {
  const g = new Generator(0);
  g.setState(previousGeneratorState(state));
  g.nextU32();
  const s = g.getState().s;
  return s.every((v, i) => v === state.s[i] >>> 0);
}
