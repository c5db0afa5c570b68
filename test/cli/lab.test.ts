import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/program.js';
import { defaultLabDir } from '../../src/lab-server.node.js';

function capture() {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) } },
    out: () => out,
    err: () => err,
  };
}

describe('gradlab lab', () => {
  it('serves the built lab with cross-origin isolation headers until interrupted', async () => {
    expect(existsSync(`${defaultLabDir()}/index.html`), 'the lab is not built: run `npm run build`').toBe(true);
    const c = capture();
    const controller = new AbortController();
    const done = run(['lab', '--port', '0'], { ...c.io, signal: controller.signal } as never);
    let url = '';
    for (let i = 0; i < 100 && !url; i++) {
      await new Promise((r) => setTimeout(r, 20));
      url = c.out().trim();
    }
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await res.text()).toContain('gradlab');
    controller.abort();
    expect(await done).toBe(0);
  });

  it('rejects an invalid port with a usage error naming the flag', async () => {
    const c = capture();
    expect(await run(['lab', '--port', '70000'], c.io as never)).toBe(2);
    expect(c.err()).toContain('--port');
  });
});
