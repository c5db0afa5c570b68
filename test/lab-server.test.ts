/**
 * The lab's static server under hostile or heavy use: DNS rebinding (a foreign Host header),
 * the security headers, conditional requests, and memory with many requests in flight.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_HEAD, serveLab, type LabServer } from '../src/lab-server.node.js';

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

describe('lab server: paths and links as attackers and long links make them', () => {
  // <root>/secret.txt beside the lab's files; the data root beside both.
  const root = mkdtempSync(join(tmpdir(), 'gradlab-traversal-'));
  const labDir = join(root, 'lab');
  const dataDir = join(root, 'data');
  let s: LabServer;
  beforeAll(async () => {
    mkdirSync(labDir);
    mkdirSync(dataDir);
    writeFileSync(join(labDir, 'index.html'), '<!doctype html><title>lab</title>');
    writeFileSync(join(root, 'secret.txt'), 'TOP-SECRET');
    s = await serveLab({ dir: labDir, dataDir, port: 0 });
  });
  afterAll(async () => {
    await s?.close();
  });

  /** One request written byte for byte (no client normalises the path); the status line and body. */
  const raw = (target: string): Promise<{ status: number; text: string }> =>
    new Promise((ok, fail) => {
      const c = connect(s.port, '127.0.0.1', () => c.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: close\r\n\r\n`));
      const chunks: Buffer[] = [];
      c.on('data', (d: Buffer) => chunks.push(d));
      c.on('end', () => {
        const text = Buffer.concat(chunks).toString('latin1');
        ok({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), text });
      });
      c.on('error', fail);
    });

  it('path traversal, plain and encoded (%2e, %2f, %5c, double-encoded, overlong UTF-8, NUL), never reaches a file outside the lab', async () => {
    const targets = [
      '/../secret.txt', '/../../etc/passwd', '/%2e%2e/secret.txt', '/%2e%2e%2fsecret.txt', '/..%2fsecret.txt', '/..%2F..%2Fetc%2Fpasswd',
      '/%2e%2e%5csecret.txt', '/..\\secret.txt', '/%252e%252e/secret.txt', '/%c0%ae%c0%ae/secret.txt', '/.%00./secret.txt', '/index.html%00/../../secret.txt',
      '//secret.txt', '/lab/../secret.txt', '/data/..%2f..%2fsecret.txt', 'http://127.0.0.1/../secret.txt', '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    ];
    for (const t of targets) {
      const r = await raw(t);
      // '//secret.txt' is a URL of host secret.txt and path '/': the lab's own page.
      if (r.status === 200) expect(r.text, t).toContain('<title>lab</title>');
      else expect([400, 403, 404], t).toContain(r.status);
      expect(r.text, t).not.toContain('TOP-SECRET');
      expect(r.text, t).not.toContain('root:');
    }
    expect((await raw('/')).status).toBe(200);
  });

  it('a long link (a thousand layers typed out, 100 KB) is served, not an empty 431; past the limit, a page that says why', async () => {
    const long = await raw(`/?layers=${Array(15_000).fill('8:relu').join(',')}`);
    expect(long.status).toBe(200);
    expect(long.text).toContain('<title>lab</title>');
    const huge = await raw(`/?layers=${'8'.repeat(MAX_REQUEST_HEAD + 1)}`);
    expect(huge.status).toBe(431);
    expect(huge.text).toMatch(/Content-Type: text\/html[\s\S]*This link is longer than the lab reads/);
  });
});
