import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The examples run against the built package (`npm run build`), as a user would run them.
describe('examples', () => {
  it('spiral-batchnorm-adam trains a BatchNorm MLP with Adam to high accuracy', () => {
    expect(existsSync('dist/index.js'), 'dist/ is missing: run `npm run build` before the tests').toBe(true);
    const out = execFileSync('node', ['examples/spiral-batchnorm-adam.mjs'], { encoding: 'utf8' });
    const m = /accuracy ([\d.]+)%/.exec(out);
    expect(m, out).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(90);
    expect(out).toContain('1.running_mean');
  });
});
