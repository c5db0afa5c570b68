import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/program.js';
import { EXPERIMENT_NAMES } from '../../src/experiments/index.js';

function capture() {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) } } as never,
    out: () => out,
    err: () => err,
  };
}

describe('gradlab experiment', () => {
  it('Ctrl-C/SIGTERM stops a run at its next progress report: exit 130, no verdict, no report file', async () => {
    const c = capture();
    const report = join(mkdtempSync(join(tmpdir(), 'gradlab-exp-')), 'stopped.html');
    const controller = new AbortController();
    controller.abort(); // the signal came while the experiment was starting
    const io = { ...(c.io as object), signal: controller.signal } as never;
    expect(await run(['experiment', 'run', 'he-2015', '--report', report], io)).toBe(130);
    expect(c.err()).toContain(`interrupted: he-2015 stopped before its verdict; ${report} was not written`);
    expect(c.out()).not.toMatch(/REPRODUCED/);
    expect(existsSync(report)).toBe(false);
  });

  it('lists every registered experiment with its citation', async () => {
    const c = capture();
    expect(await run(['experiment', 'list', '--json'], c.io)).toBe(0);
    const list = JSON.parse(c.out()) as Array<{ name: string; citation: string }>;
    expect(list.map((e) => e.name)).toEqual([...EXPERIMENT_NAMES]);
    expect(list.every((e) => e.citation.length > 10)).toBe(true);
  });

  it('runs one in quick mode, prints the verdict and writes a self-contained HTML page', async () => {
    const c = capture();
    const report = join(mkdtempSync(join(tmpdir(), 'gradlab-exp-')), 'zero.html');
    const code = await run(['experiment', 'run', 'zero-init', '--quick', '--seed', '1', '--report', report], c.io);
    expect(c.out()).toMatch(/REPRODUCED|NOT REPRODUCED/);
    // Exit code follows the verdict: 0 reproduced, 1 not.
    expect(code).toBe(c.out().includes('NOT REPRODUCED') ? 1 : 0);
    expect(code).toBe(0);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('reproduced');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('rejects an unknown experiment with a usage error listing the valid names', async () => {
    const c = capture();
    expect(await run(['experiment', 'run', 'nope'], c.io)).toBe(2);
    expect(c.err()).toContain('he-2015');
  });
});
