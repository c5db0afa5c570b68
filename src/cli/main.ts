#!/usr/bin/env node
/**
 * The `gradlab` executable. Ctrl-C once stops training after the current batch (the model and
 * report are still written, exit 130; the --checkpoint file keeps the last completed epoch, and
 * the summary prints the command that resumes from it); twice exits at once.
 */
// The fastest kernels available (wasm SIMD, threads); GRADLAB_BACKEND=reference opts out.
import '../kernels/auto.js';
import { run } from './program.js';

// `gradlab inspect m | head`: a closed pipe ends the output quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts > 1) process.exit(130);
  process.stderr.write('\ngradlab: interrupted; finishing the current batch (Ctrl-C again to quit now)\n');
  controller.abort();
});

const code = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
process.exitCode = code;
