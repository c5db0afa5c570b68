/**
 * JSON read from files, bounded before it is built: nesting depth and the number of object
 * keys are counted in one pass over the text (strings skipped), so a header nested 10,000
 * deep or holding millions of keys is refused in milliseconds with a message, instead of
 * overflowing the stack in whatever walks the value later or spending a minute and gigabytes
 * building it. Browser-safe; every reader of JSON from a file (safetensors headers, model
 * metadata, checkpoint records) goes through `parseJsonBounded`.
 */

/** Deepest nesting accepted: gradlab's own records are at most 5 deep. */
export const MAX_JSON_DEPTH = 64;

export interface JsonLimits {
  /** Default MAX_JSON_DEPTH. */
  maxDepth?: number;
  /** Most object keys in the whole text. Default: no limit. */
  maxKeys?: number;
}

/**
 * Check nesting depth and key count of JSON text without parsing it; throws an Error starting
 * with `where` (e.g. `model.safetensors: metadata "config"`). Malformed text is left for JSON.parse to report.
 */
export function checkJsonShape(text: string, where: string, limits: JsonLimits = {}): void {
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  const maxKeys = limits.maxKeys ?? Infinity;
  let depth = 0;
  let keys = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string: to the next quote not preceded by an odd number of backslashes.
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0) return; // unterminated: JSON.parse reports it
        let b = j - 1;
        while (text.charCodeAt(b) === 0x5c) b--;
        if ((j - 1 - b) % 2 === 0) break;
        j++;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new Error(`${where} is nested more than ${maxDepth} levels deep`);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x3a) {
      if (++keys > maxKeys) throw new Error(`${where} has more than ${maxKeys} keys`);
    }
  }
}

/** JSON.parse after checkJsonShape; a syntax error becomes an Error starting with `where`. */
export function parseJsonBounded(text: string, where: string, limits: JsonLimits = {}): unknown {
  // A byte-order mark (Windows editors write one) is a file's encoding signature, not JSON.
  text = text.replace(/^\uFEFF/, '');
  checkJsonShape(text, where, limits);
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(`${where} is not valid JSON: ${msg.length > 200 ? msg.slice(0, 200) + '…' : msg}${jsonSlip(text)}`, { cause: e });
  }
}

/** The JavaScript or Python habit that made `text` invalid JSON, when it is one of the usual ones. */
function jsonSlip(text: string): string {
  if (/^\s*(\/\/|\/\*|#)/m.test(text)) return ' (JSON has no comments)';
  if (/,\s*[\]}]/.test(text)) return ' (JSON allows no comma before ] or })';
  if (/'[^'\n]*'\s*[:,\]}]/.test(text)) return ' (JSON strings take double quotes)';
  if (/[:\[,]\s*-?(NaN|Infinity)\b/.test(text)) return ' (JSON has no NaN or Infinity)';
  if (/[:\[,]\s*(True|False|None)\b/.test(text)) return " (JSON's literals are true, false and null, not Python's)";
  if (/[{,]\s*[A-Za-z_][A-Za-z0-9_]*\s*:/.test(text)) return ' (JSON keys take double quotes: {"type": …})';
  return '';
}
