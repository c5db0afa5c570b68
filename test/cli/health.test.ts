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

// A run that blows up in its first steps and recovers (100% on moons at the end). The run above
// does not: it ends at chance, at the constant predictor's loss, and its divergence stays current.
const recovering = ['train', '--data', 'moons', '--layers', '16,16', '--activation', 'tanh', '--no-batchnorm', '--optimizer', 'sgd', '--lr', '5', '--epochs', '10'];

describe('findings with history', () => {
  it('a finding printed during training is in the summary, --json and the report, marked resolved', async () => {
    const report = join(dir, 'r.html');
    const r = await cli(...recovering, '--report', report);
    expect(r.err).toMatch(/\[exploding-gradients\]/);
    // The end of the run still shows it, as resolved, after the current findings.
    const lines = r.out.split('\n');
    const resolvedAt = lines.findIndex((l) => /resolved .*\[exploding-gradients\]/.test(l));
    expect(resolvedAt).toBeGreaterThan(0);
    const currentAt = lines.findIndex((l) => /^ +✖ error \[|^ +⚠ warning \[/.test(l));
    if (currentAt >= 0) expect(currentAt).toBeLessThan(resolvedAt);
    expect(r.out).toMatch(/earlier problem.? resolved/);

    const j = await cli(...recovering, '--json', '--quiet');
    const doc = JSON.parse(j.out);
    expect(doc.test.accuracy).toBeGreaterThan(0.9);
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

  // The run ends at 50% on spiral with its loss at the constant predictor's: the divergence
  // that explains it was reported as resolved, leaving dead units as the only error.
  it('a run that blew up and ends no better than the constant predictor keeps its divergence current, in the summary, --json and the report', async () => {
    const report = join(dir, 'x.html');
    const r = await cli(...exploding, '--report', report);
    const tail = r.out.slice(r.out.indexOf('  health '));
    expect(tail).toMatch(/✖ error \[exploding-gradients\] since step \d+, still at step \d+: The run diverged: .*no better than the constant predictor's 0\.6931/);
    expect(tail).toMatch(/→ Lower the learning rate from 50 to 5/);
    const doc = JSON.parse((await cli(...exploding, '--json', '--quiet')).out);
    expect(doc.findings.find((x: { rule: string }) => x.rule === 'exploding-gradients')).toMatchObject({ severity: 'error', status: 'current' });
    expect(readFileSync(report, 'utf8')).toMatch(/data-rule="exploding-gradients" data-status="current"/);
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
