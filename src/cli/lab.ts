/**
 * `gradlab lab`: serve the built web lab on this machine (with the cross-origin isolation
 * headers its threaded kernels need) until interrupted.
 */
import { serveLab } from '../lab-server.node.js';
import { EXIT, inputError, usageError, type ExitCode } from './errors.js';
import type { CliIO } from './train.js';

export interface LabArgs {
  port: number;
  host: string;
  dir?: string;
}

export async function runLab(args: LabArgs, io: CliIO): Promise<{ code: ExitCode; url?: string }> {
  // An empty --host would make Node listen on every interface, the opposite of the default.
  if (args.host.trim() === '') throw usageError('--host is empty; give an interface address such as 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)');
  let server;
  try {
    server = await serveLab({ port: args.port, host: args.host, ...(args.dir ? { dir: args.dir } : {}) });
  } catch (e) {
    // What the user's flags cause is a usage error naming the flag; a missing build is bad input.
    const err = e as NodeJS.ErrnoException;
    const host = JSON.stringify(args.host);
    if (err.code === 'EADDRINUSE') throw usageError(`port ${args.port} is in use; pick another with --port`);
    if (err.code === 'EACCES' || err.code === 'EPERM') throw usageError(`--port ${args.port}: permission denied (ports below 1024 need privileges); pick a port of 1024 or more, or 0 for a free one`);
    if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.code === 'EAI_FAIL') throw usageError(`--host ${host}: no such host name or address; give an interface address such as 127.0.0.1 or 0.0.0.0`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'EINVAL' || err.code === 'EAFNOSUPPORT') throw usageError(`--host ${host}: not an address of this machine (${err.code}); give one of its interface addresses, such as 127.0.0.1 or 0.0.0.0`);
    throw inputError(err.message);
  }
  io.stderr.write(`gradlab lab: open ${server.url} (Ctrl-C to stop)\n`);
  io.stdout.write(`${server.url}\n`);
  await new Promise<void>((resolve) => {
    if (!io.signal) return; // no way to be interrupted: serve until the process ends
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
  return { code: EXIT.ok, url: server.url };
}
