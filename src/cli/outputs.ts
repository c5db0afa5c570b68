/**
 * The output files a command's flags name, checked before any work is done: a path that
 * cannot be written (a directory, a missing directory, no permission: `whyNotWritable`) would
 * otherwise fail only after training, and an output that is one of the command's inputs
 * (`export m.safetensors --onnx m.safetensors`, `train --data d.csv --out d.csv`) or another
 * output (`--out r.html --report r.html`) would destroy it.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { whyNotWritable } from '../io/atomic.node.js';
import { usageError, writeError } from './errors.js';

/** A path and the flag (or argument) that named it; an undefined path is a flag not given. */
export interface NamedPath {
  flag: string;
  path: string | undefined;
}

/** The file a path names: its device and inode when it exists (links and other names resolved), else the absolute path. */
async function identity(path: string): Promise<string> {
  try {
    const st = await stat(path);
    return `inode ${st.dev}:${st.ino}`;
  } catch {
    return `path ${resolve(path)}`;
  }
}

/**
 * Refuse outputs that cannot be written (exit 4, naming the flag and why) and outputs that are
 * the same file as an input or as another output (exit 2), except the pairs in `allowed`
 * (train's `--checkpoint` = `--resume`: the run continues the file it writes).
 */
export async function checkOutputs(outputs: NamedPath[], inputs: NamedPath[] = [], allowed: ReadonlyArray<readonly [string, string]> = []): Promise<void> {
  const given = (list: NamedPath[]) => list.filter((o): o is { flag: string; path: string } => o.path !== undefined);
  const outs = given(outputs);
  for (const o of outs) {
    // `--report -q`: the flag's value is missing and the next flag became a file name.
    if (/^--?[A-Za-z]/.test(o.path)) {
      throw usageError(`${o.flag} ${JSON.stringify(o.path)}: that is a flag, not a file name (is ${o.flag}'s value missing?); for a file whose name starts with -, write ./${o.path}`);
    }
    const why = await whyNotWritable(o.path);
    if (why !== null) throw writeError(`${o.flag} ${JSON.stringify(o.path)}: cannot write there: ${why}`);
  }
  const seen: Array<{ flag: string; path: string; id: string; output: boolean }> = [];
  for (const i of given(inputs)) seen.push({ ...i, id: await identity(i.path), output: false });
  for (const o of outs) {
    const id = await identity(o.path);
    for (const s of seen) {
      if (s.id !== id || allowed.some(([a, b]) => (a === s.flag && b === o.flag) || (a === o.flag && b === s.flag))) continue;
      throw usageError(
        s.output
          ? `${s.flag} and ${o.flag} name the same file (${JSON.stringify(o.path)}): the second write would replace the first; give each its own file`
          : `${o.flag} ${JSON.stringify(o.path)} and ${s.flag} ${JSON.stringify(s.path)} are the same file: writing ${o.flag} would destroy the input it is made from; give ${o.flag} another file name`,
      );
    }
    seen.push({ ...o, id, output: true });
  }
}
