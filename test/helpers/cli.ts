/**
 * Driving the gradlab CLI in-process, as tests do: `run(argv, io)` with captured stdout/stderr.
 * The CLI module selects no backend: tests that import only this run on the reference kernels
 * unless they import src/kernels/auto.js.
 */
import { run } from '../../src/cli/program.js';

/** A stream that keeps what is written (not a TTY, so no progress redraws). */
export class Capture {
  text = '';
  isTTY = false;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

/** Run `gradlab ...argv`; the exit code and what it printed. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await run(argv, { stdout, stderr });
  return { code, out: stdout.text, err: stderr.text };
}
