/**
 * A tiny static server for the built web lab (dist/lab), used by `gradlab lab`. It sends the
 * cross-origin isolation headers (COOP same-origin, COEP require-corp) that SharedArrayBuffer —
 * and so the threaded WebAssembly kernels — needs, and serves only files inside `dir` and,
 * for what `dir` lacks, inside the package's data/ directory (the built-in MNIST digits,
 * data/mnist-10k/*.gz, which the lab fetches from its root and the package ships only once).
 *
 * Hardening: files are streamed from one opened descriptor (memory stays flat however many
 * requests are in flight); the Host header must name an address the server answers on
 * (localhost, the listening address; any IP literal and the machine's name when listening on all
 * interfaces), so
 * a DNS-rebinding page on another name gets 421; a Content-Security-Policy allows only the
 * lab's own scripts, styles, workers (blob: for the kernel threads) and WebAssembly, and no
 * framing; ETag / If-None-Match give 304 for unchanged files.
 * Node only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { isIP, type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { builtinDataDir } from './data/datasets.node.js';

/**
 * The lab's Content-Security-Policy. 'wasm-unsafe-eval' lets the kernels compile their
 * WebAssembly (nothing else is evaluated); blob: workers are the kernel threads, whose source
 * is embedded; data: images are the page's empty favicon.
 */
export const LAB_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const LAB_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': LAB_CSP,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
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
  /** Further host names the Host header may carry (e.g. behind a reverse proxy). */
  allowedHosts?: string[];
}

export interface LabServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The largest request line + headers the server reads: Chromium's longest URL (2 MiB) and room for its headers. */
export const MAX_REQUEST_HEAD = 3 * 1024 * 1024;

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

  const wildcard = host === '0.0.0.0' || host === '::';
  // Listening on all interfaces, the machine's own name is one of its addresses too.
  const names = new Set(['localhost', '127.0.0.1', '::1', host.toLowerCase(), ...(wildcard ? [hostname().toLowerCase()] : []), ...(options.allowedHosts ?? []).map((h) => h.toLowerCase())]);
  let actualPort = port;
  /** Host header → whether it names this server (DNS rebinding sends another name). */
  const hostAllowed = (value: string | undefined): boolean => {
    if (!value) return false;
    let url: URL;
    try {
      url = new URL(`http://${value}`);
    } catch {
      return false;
    }
    if (url.username || url.password || url.pathname !== '/') return false;
    if (url.port !== '' && Number(url.port) !== actualPort) return false;
    const name = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    return names.has(name) || name.endsWith('.localhost') || (wildcard && isIP(name) !== 0);
  };
  const text = (res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...extra }).end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(LAB_HEADERS)) res.setHeader(k, v);
    if (!hostAllowed(req.headers.host)) {
      text(res, 421, 'Misdirected request: this server answers only for its own address (Host header not recognised)\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      text(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      text(res, 400, 'Bad request\n');
      return;
    }
    if (pathname.includes('\0')) {
      text(res, 400, 'Bad request\n');
      return;
    }
    // The build first; what it lacks, from the package's data/ (the built-in digits).
    let file = '';
    let fh: Awaited<ReturnType<typeof open>> | null = null;
    let st: Awaited<ReturnType<Awaited<ReturnType<typeof open>>['stat']>> | null = null;
    for (const root of roots) {
      file = normalize(join(root, pathname));
      if (file !== root && !file.startsWith(root + sep)) {
        text(res, 403, 'Forbidden\n');
        return;
      }
      fh = await open(file, 'r').catch(() => null);
      st = fh ? await fh.stat().catch(() => null) : null;
      if (fh && st?.isDirectory()) {
        await fh.close();
        file = join(file, 'index.html');
        fh = await open(file, 'r').catch(() => null);
        st = fh ? await fh.stat().catch(() => null) : null;
      }
      if (fh && st && st.isFile()) break;
      await fh?.close().catch(() => undefined);
      fh = null;
    }
    if (!fh || !st) {
      text(res, 404, 'Not found\n');
      return;
    }
    const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
    const cache = /[\\/]assets[\\/]/.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache';
    const inm = req.headers['if-none-match'];
    if (inm !== undefined && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
      await fh.close();
      res.writeHead(304, { ETag: etag, 'Cache-Control': cache }).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': st.size, 'Cache-Control': cache, ETag: etag });
    if (req.method === 'HEAD') {
      await fh.close();
      res.end();
      return;
    }
    // The response stream pulls from the file as the client reads (backpressure): at most a
    // buffer's worth of each file is in memory per request.
    await pipeline(fh.createReadStream({ start: 0, end: Math.max(0, st.size - 1), autoClose: true }), res).catch(() => {
      res.destroy();
    });
  };

  // A lab link carries every setting in its query, and a hand-made one can be long (a thousand
  // layers typed out): Node's 16 KiB header limit answered those with an empty 431, which the
  // browser shows as its own error page, and the page never got to say what it could not use.
  // Up to Chromium's 2 MiB URL limit the page reads the link and says what it clamped.
  const server = createServer({ maxHeaderSize: MAX_REQUEST_HEAD }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // Beyond that (or a request that is not HTTP), a page that says why instead of an empty reply.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLong = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLong ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const body = tooLong
      ? `<!doctype html><meta charset="utf-8"><title>gradlab lab: link too long</title><p>This link is longer than the lab reads (${MAX_REQUEST_HEAD / 1024 / 1024} MiB). Open the lab without it and choose the settings on the page.</p>\n`
      : '<!doctype html><meta charset="utf-8"><title>gradlab lab: bad request</title><p>The lab could not read this request.</p>\n';
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  actualPort = actual;
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
