/**
 * JSON that people write by hand (an --arch file, a predict input): the habits of JavaScript,
 * Python and Windows editors that make it invalid are named, and a byte-order mark is read past.
 */
import { describe, expect, it } from 'vitest';
import { parseJsonBounded } from '../../src/io/json.js';
import { validateLayer } from '../../src/arch.js';

describe('parseJsonBounded', () => {
  it("reads past a UTF-8 byte-order mark (Notepad's), which JSON.parse refused", () => {
    expect(parseJsonBounded('\uFEFF[{"type": "relu"}]', 'a.json')).toEqual([{ type: 'relu' }]);
  });

  it('names the habit that made the text invalid', () => {
    const cases: Array<[string, string]> = [
      ['// layers\n[{"type": "relu"}]', '(JSON has no comments)'],
      ['[{"type": "relu"},]', '(JSON allows no comma before ] or })'],
      ["[{'type': 'relu'}]", '(JSON strings take double quotes)'],
      ['[{"type": "dropout", "p": NaN}]', '(JSON has no NaN or Infinity)'],
      ['[{"type": "linear", "out": 4, "bias": True}]', "(JSON's literals are true, false and null, not Python's)"],
      ['[{type: "relu"}]', '(JSON keys take double quotes: {"type": …})'],
    ];
    for (const [text, says] of cases) expect(() => parseJsonBounded(text, 'a.json'), text).toThrow(says);
    expect(() => parseJsonBounded('[1, 2', 'a.json')).toThrow(/^a\.json is not valid JSON: [^(]*$/);
  });

  it('a layer argument of 1e400 (Infinity once parsed) is shown as Infinity, not as JSON.stringify\'s null', () => {
    expect(() => validateLayer(parseJsonBounded('{"type": "linear", "out": 1e400}', 'a.json'), 'layer 1')).toThrow("layer 1: linear's out must be a positive integer ≤ 65536, got Infinity");
  });
});
