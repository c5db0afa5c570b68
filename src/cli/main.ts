#!/usr/bin/env node
/**
 * The `gradlab` executable. Ctrl-C (SIGINT) once stops training after the current batch (the
 * model and report are still written, exit 130; the --checkpoint file keeps the last completed
 * epoch, and the summary prints the command that resumes from it); twice exits at once. SIGTERM (what
 * `kill`, `timeout`, CI runners and container stops send) does the same with exit 143 = 128 + 15,
 * the code a shell reports for a process SIGTERM ended, so a supervisor sees what it asked for.
 * Commands that do not watch the signal (evaluate, predict, inspect, export) end at once.
 */
// The fastest kernels available (wasm SIMD, threads); GRADLAB_BACKEND=reference opts out.
import '../kernels/auto.js';
import { run } from './program.js';
import { EXIT } from './errors.js';

// `gradlab inspect m | head`: a closed pipe ends the output quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const controller = new AbortController();
let signals = 0;
let terminated = false;
/** The commands that watch the abort signal (they stop after a batch or a run); the others end at once (their outputs are written atomically). */
const GRACEFUL = new Set(['train', 'compare', 'experiment', 'lab']);
const graceful = GRACEFUL.has(process.argv.slice(2).find((a) => !a.startsWith('-')) ?? '');
function stop(signal: 'SIGINT' | 'SIGTERM'): void {
  signals++;
  if (signal === 'SIGTERM') terminated = true;
  const code = terminated ? EXIT.terminated : EXIT.interrupted;
  if (!graceful) {
    process.stderr.write(`\ngradlab: ${signal === 'SIGINT' ? 'interrupted' : 'terminated (SIGTERM)'}\n`);
    process.exit(code);
  }
  if (signals > 1) process.exit(code);
  const again = signal === 'SIGINT' ? 'Ctrl-C again' : 'a second signal';
  process.stderr.write(`\ngradlab: ${signal === 'SIGINT' ? 'interrupted' : 'terminated (SIGTERM)'}; finishing the current batch (${again} to quit now)\n`);
  controller.abort();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

const code = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
process.exitCode = terminated && code === EXIT.interrupted ? EXIT.terminated : code;
