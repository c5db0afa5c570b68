/**
 * The worker threads in a process that runs ES modules from `-e`/stdin (`node --input-type=module`):
 * workers inherit the flag, so their source is evaluated as a module, with no `require`. They
 * crashed there ("self is not defined") before they looked for Node another way. Runs the built
 * package, as a user's script would.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

describe('thread pool under --input-type=module', () => {
  it('splits a product over a worker (with the native GEMM where it was built) and gives the one-thread result', () => {
    const script = `
      import { setNumThreads, tensor, ops } from ${JSON.stringify(dist + 'index.js')};
      import { K } from ${JSON.stringify(dist + 'kernels/index.js')};
      const a = tensor(Array.from({ length: 384 * 384 }, (_, i) => Math.sin(i)), [384, 384]);
      const one = Array.from(ops.matmul(a, a).data);
      setNumThreads(2);
      K.pool.adaptive = false;
      const t = Date.now();
      while (K.pool.readyWorkers() < 1 && Date.now() - t < 10000) { ops.matmul(a, a); await new Promise((r) => setTimeout(r, 10)); }
      const r0 = K.pool.rounds;
      const two = Array.from(ops.matmul(a, a).data);
      console.log(JSON.stringify({ workers: K.pool.readyWorkers(), rounds: K.pool.rounds - r0, same: two.every((v, i) => Object.is(v, one[i])) }));
      process.exit(0);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r).toEqual({ workers: 1, rounds: 1, same: true });
  });
});
