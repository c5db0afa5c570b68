/**
 * A tiny static server for the built web lab (dist/lab), used by `gradlab lab`. It sends the
 * cross-origin isolation headers (COOP same-origin, COEP require-corp) that SharedArrayBuffer —
 * and so the threaded WebAssembly kernels — needs, and serves only files inside `dir` and,
 * for what `dir` lacks, inside the package's data/ directory (the built-in MNIST digits,
 * data/mnist-10k/*.gz, which the lab fetches from its root and the package ships only once).
 * Node only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { builtinDataDir } from './data/datasets.node.js';

export const LAB_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
});

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.gz': 'application/gzip',
};

export interface ServeLabOptions {
  /** Directory of the built lab (default: dist/lab of this package). */
  dir?: string;
  /** Second root, for paths `dir` lacks (default: this package's data/, the built-in MNIST). */
  dataDir?: string;
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1 (the lab is for this machine). */
  host?: string;
}

export interface LabServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Where `npm run build:lab` puts the lab: dist/lab beside this file once compiled, or ../dist/lab from src/. */
export function defaultLabDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, 'lab'), join(here, '..', 'dist', 'lab')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[0];
}

export async function serveLab(options: ServeLabOptions = {}): Promise<LabServer> {
  const dir = resolve(options.dir ?? defaultLabDir());
  const roots = [dir, resolve(options.dataDir ?? builtinDataDir())];
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`serveLab: port must be an integer in [0, 65535], got ${port}`);
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`serveLab: no built lab in ${dir} (index.html missing); run \`npm run build:lab\` first`);
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(LAB_HEADERS)) res.setHeader(k, v);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Bad request\n');
      return;
    }
    if (pathname.includes('\0')) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Bad request\n');
      return;
    }
    for (const root of roots) {
      let file = normalize(join(root, pathname));
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Forbidden\n');
        return;
      }
      let body: Buffer;
      try {
        if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
        body = await readFile(file);
      } catch {
        continue;
      }
      const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
      const cache = /[\\/]assets[\\/]/.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache';
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': cache });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actual}/`,
    port: actual,
    close: () =>
      new Promise<void>((ok, fail) => {
        server.closeAllConnections?.();
        server.close((e) => (e ? fail(e) : ok()));
      }),
  };
}
