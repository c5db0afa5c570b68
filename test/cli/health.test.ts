/**
 * The health check tells the truth at the end of a run (issue 14): a finding printed during
 * training stays in the final summary, the JSON and the HTML report (marked resolved when it no
 * longer holds); layers are named one way everywhere.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'gradlab-health-'));
// The reproduction: a learning rate of 50 with N(0, 1) weights explodes in epoch 1, then
// the net settles with dead units.
const exploding = ['train', '--data', 'spiral', '--layers', '16,16,16', '--init', 'normal', '--no-batchnorm', '--optimizer', 'sgd', '--lr', '50', '--epochs', '5'];

describe('findings with history', () => {
  it('a finding printed during training is in the summary, --json and the report, marked resolved', async () => {
    const report = join(dir, 'r.html');
    const r = await cli(...exploding, '--report', report);
    expect(r.err).toMatch(/\[exploding-gradients\]/);
    // The end of the run still shows it, as resolved, after the current findings.
    const lines = r.out.split('\n');
    const resolvedAt = lines.findIndex((l) => /resolved .*\[exploding-gradients\]/.test(l));
    expect(resolvedAt).toBeGreaterThan(0);
    const currentAt = lines.findIndex((l) => /^ +✖ error \[|^ +⚠ warning \[/.test(l));
    if (currentAt >= 0) expect(currentAt).toBeLessThan(resolvedAt);
    expect(r.out).toMatch(/earlier problem.? resolved/);

    const j = await cli(...exploding, '--json', '--quiet');
    const doc = JSON.parse(j.out);
    const f = doc.findings.find((x: { rule: string }) => x.rule === 'exploding-gradients');
    expect(f).toBeDefined();
    expect(f.status).toBe('resolved');
    expect(f.firstStep).toBeLessThanOrEqual(f.lastStep);
    expect(f.lastStep).toBeLessThan(doc.steps);
    const statuses = doc.findings.map((x: { status: string }) => x.status);
    expect(statuses.indexOf('resolved')).toBeGreaterThan(statuses.lastIndexOf('current'));

    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/data-rule="exploding-gradients" data-status="resolved"/);
  });
});

describe('one naming scheme for layers', () => {
  it('findings, the summary and the report name layers "hidden k · Kind (module p)"', async () => {
    const report = join(dir, 'n.html');
    const r = await cli(...exploding, '--report', report);
    // The dead ReLU layers: module 3 is the second hidden layer's ReLU.
    expect(r.out).toContain('hidden 2 · ReLU (module 3)');
    expect(r.out).not.toMatch(/layer 3 100%/);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('hidden 1 · Linear 2→16 (module 0)');
    expect(html).toContain('output · Linear 16→2 (module 6)');
  });
});
