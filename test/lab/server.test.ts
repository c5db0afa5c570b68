/**
 * serveLab's second root: the built lab does not carry the built-in MNIST digits; the server
 * sends them from the package's data/ directory (so the package holds them once), with the
 * same isolation headers, while the lab's own files win and nothing outside either root leaks.
 */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveLab, type LabServer } from '../../src/lab-server.node.js';
import { builtinDataDir } from '../../src/data/datasets.node.js';
import { BUILTIN_MNIST_FILES } from '../../src/data/mnist.js';

describe('serveLab: the built-in digits from the package data/ directory', () => {
  let server: LabServer;
  let dir: string;
  let data: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gradlab-labdir-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>lab</title>');
    writeFileSync(join(dir, 'shadow.txt'), 'from the lab');
    data = mkdtempSync(join(tmpdir(), 'gradlab-datadir-'));
    writeFileSync(join(data, 'shadow.txt'), 'from data');
    mkdirSync(join(data, 'sub'));
    writeFileSync(join(data, 'sub', 'x.gz'), Buffer.from([0x1f, 0x8b, 1, 2]));
    server = await serveLab({ dir, port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves data/mnist-10k/*.gz byte for byte at the lab root, isolated, as application/gzip', async () => {
    for (const file of [BUILTIN_MNIST_FILES.images, BUILTIN_MNIST_FILES.labels]) {
      const res = await fetch(new URL(file, server.url));
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/gzip');
      expect(res.headers.get('content-encoding')).toBeNull();
      expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      const body = new Uint8Array(await res.arrayBuffer());
      expect(Buffer.compare(Buffer.from(body), readFileSync(join(builtinDataDir(), file)))).toBe(0);
    }
  });

  it("prefers the lab's own file, falls back to dataDir, and 404s/403s what neither holds", async () => {
    const other = await serveLab({ dir, dataDir: data, port: 0 });
    try {
      expect(await (await fetch(new URL('shadow.txt', other.url))).text()).toBe('from the lab');
      const gz = await fetch(new URL('sub/x.gz', other.url));
      expect(gz.status).toBe(200);
      expect(Array.from(new Uint8Array(await gz.arrayBuffer()))).toEqual([0x1f, 0x8b, 1, 2]);
      expect((await fetch(new URL('nope.gz', other.url))).status).toBe(404);
      // The default data directory is not served when another is given.
      expect((await fetch(new URL(BUILTIN_MNIST_FILES.images, other.url))).status).toBe(404);
      // An encoded ../ (decoded only after URL parsing) must not step out of either root.
      const { request } = await import('node:http');
      const status = await new Promise<number>((ok, fail) => {
        request({ host: '127.0.0.1', port: other.port, path: '/..%2f..%2fetc%2fpasswd' }, (res) => {
          res.resume();
          ok(res.statusCode ?? 0);
        })
          .on('error', fail)
          .end();
      });
      expect(status).toBe(403);
    } finally {
      await other.close();
    }
  });
});
