/**
 * The command the lab shows for its run (lab/src/command.ts) is pasted into a shell by users:
 * it must run there as printed. A layer list of mixed layers is an --arch string with
 * parentheses, which a POSIX shell reads as syntax unless quoted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliCommand } from '../../lab/src/command.js';
import { DEFAULT_STATE, cloneState } from '../../lab/src/state.js';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

describe("the lab's gradlab train command", () => {
  it('a network of mixed layers (an --arch with parentheses) runs in sh exactly as shown', () => {
    expect(existsSync(CLI), 'build first (npx tsc -p tsconfig.json)').toBe(true);
    const s = cloneState(DEFAULT_STATE);
    s.layers = [
      { width: 8, activation: 'relu', bn: true },
      { width: 6, activation: 'tanh', bn: false },
    ];
    s.points = 200;
    const c = cliCommand(s, 1);
    if (!('command' in c)) throw new Error(c.reason);
    expect(c.command).toContain("--arch 'linear(8),bn,relu,linear(6),tanh'");
    // As a user pastes it: `gradlab` is the built binary on the PATH.
    const r = spawnSync('sh', ['-c', `gradlab() { "${process.execPath}" "${CLI}" "$@"; }; ${c.command} --json -q`], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe('ok');
  }, 120_000);
});
