/**
 * The lab's static server under hostile or heavy use: DNS rebinding (a foreign Host header),
 * the security headers, conditional requests, and memory with many requests in flight.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveLab, type LabServer } from '../src/lab-server.node.js';

const dir = mkdtempSync(join(tmpdir(), 'gradlab-labserver-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>lab</title>');
const BIG = 4 * 2 ** 20;
writeFileSync(join(dir, 'big.bin'), Buffer.alloc(BIG, 7));

let server: LabServer;
beforeAll(async () => {
  server = await serveLab({ dir, port: 0 });
});
afterAll(async () => {
  await server.close();
});

function get(path: string, headers: Record<string, string> = {}, keepOpen = false): Promise<{ res: IncomingMessage; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      if (keepOpen) {
        res.pause();
        ok({ res, body: '' });
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ res, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('lab server', () => {
  it('answers only for its own address: a foreign Host header (DNS rebinding) gets 421', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, 'user@127.0.0.1']) {
      const { res } = await get('/', { Host: host });
      expect(res.statusCode, host).toBe(421);
    }
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`, 'localhost']) {
      const { res, body } = await get('/', { Host: host });
      expect(res.statusCode, host).toBe(200);
      expect(body).toContain('<title>lab</title>');
    }
  });

  it('listening on all interfaces, any IP literal and the machine\'s name are accepted, other names still get 421', async () => {
    const { hostname } = await import('node:os');
    const all = await serveLab({ dir, port: 0, host: '0.0.0.0' });
    try {
      const status = (host: string) =>
        new Promise<number>((ok, fail) => {
          const req = request({ host: '127.0.0.1', port: all.port, path: '/', headers: { Host: host } }, (res) => {
            res.resume();
            ok(res.statusCode ?? 0);
          });
          req.on('error', fail);
          req.end();
        });
      expect(await status(`192.168.1.5:${all.port}`)).toBe(200);
      expect(await status(`${hostname()}:${all.port}`)).toBe(200);
      expect(await status(`evil.example:${all.port}`)).toBe(421);
    } finally {
      await all.close();
    }
  });

  it('sends a Content-Security-Policy forbidding framing, and the isolation headers', async () => {
    const { res } = await get('/');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("worker-src 'self' blob:");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cross-origin-embedder-policy']).toBe('require-corp');
  });

  it('gives an ETag and 304 Not Modified for If-None-Match', async () => {
    const first = await get('/index.html');
    const etag = String(first.res.headers.etag);
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await get('/index.html', { 'If-None-Match': etag });
    expect(again.res.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await get('/index.html', { 'If-None-Match': 'W/"other"' })).res.statusCode).toBe(200);
  });

  it('streams files: 200 requests for a 4 MiB file held open at once keep memory flat', async () => {
    globalThis.gc?.();
    const base = process.memoryUsage().arrayBuffers;
    const open = await Promise.all(Array.from({ length: 200 }, () => get('/big.bin', {}, true)));
    await new Promise((r) => setTimeout(r, 300));
    const grown = process.memoryUsage().arrayBuffers - base;
    for (const { res } of open) {
      expect(res.statusCode).toBe(200);
      expect(Number(res.headers['content-length'])).toBe(BIG);
      res.destroy();
    }
    // Reading each file whole would hold 200 × 4 MiB = 800 MiB; streaming holds a buffer or so each.
    expect(grown).toBeLessThan(100 * 2 ** 20);
    // And a full download still arrives whole.
    const full = await get('/big.bin');
    expect(full.body.length).toBe(BIG);
  });
});
