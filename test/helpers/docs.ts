/** The docs' code blocks, as test/docs.test.ts and test/lab/docs-block.e2e.test.ts run them. */
import { readFileSync } from 'node:fs';

export interface Block {
  file: string;
  line: number;
  lang: string;
  text: string;
}

/** The fenced code blocks of a Markdown file. */
export function codeBlocks(file: string): Block[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !/^```\s*$/.test(lines[j])) j++;
    out.push({ file, line: i + 1, lang: open[1], text: lines.slice(i + 1, j).join('\n') });
    i = j;
  }
  return out;
}

/** A block's key: its file and first line, without a trailing comment. */
export const keyOf = (b: Block): string => `${b.file}:${b.text.split('\n')[0].replace(/\s+(#|\/\/).*$/, '').trim()}`;
