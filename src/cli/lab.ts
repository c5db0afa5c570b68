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
  let server;
  try {
    server = await serveLab({ port: args.port, host: args.host, ...(args.dir ? { dir: args.dir } : {}) });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw usageError(`port ${args.port} is in use; pick another with --port`);
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
