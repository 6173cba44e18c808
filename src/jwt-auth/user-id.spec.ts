import { describe, expect, it } from '@jest/globals';
import { parseUserId } from './user-id.js';

describe('parseUserId', () => {
  it.each([
    ['"0"', '0', 0],
    ['"7"', '7', 7],
    ['"42"', '42', 42],
    [
      '"9007199254740991" (MAX_SAFE_INTEGER)',
      '9007199254740991',
      Number.MAX_SAFE_INTEGER,
    ],
    ['0', 0, 0],
    ['42', 42, 42],
    ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ['42.0 (a JSON integer value)', 42.0, 42],
  ])('accepts %s', (_label, sub, expected) => {
    expect(parseUserId(sub)).toBe(expected);
  });

  // What Python's int() or JavaScript's Number() / parseInt() would take,
  // and every other non-canonical form.
  it.each([
    ['empty string', ''],
    ['leading space (int)', ' 42'],
    ['trailing space (int)', '42 '],
    ['trailing newline (int)', '42\n'],
    ['tab (int)', '\t42'],
    ['plus sign (int)', '+42'],
    ['minus sign', '-42'],
    ['minus zero', '-0'],
    ['underscore (int)', '4_2'],
    ['leading zero', '042'],
    ['double zero', '00'],
    ['Arabic-Indic digits (int)', '٤٢'],
    ['Devanagari digits (int)', '४२'],
    ['full-width digits (int)', '４２'],
    ['superscript digits', '²'],
    ['hex (Number)', '0x2a'],
    ['octal (Number)', '0o52'],
    ['binary (Number)', '0b101010'],
    ['exponent (Number)', '4e1'],
    ['decimal point (Number)', '42.0'],
    ['trailing dot (Number)', '42.'],
    ['Infinity (Number)', 'Infinity'],
    ['NaN', 'NaN'],
    ['trailing letters (parseInt)', '42abc'],
    ['MAX_SAFE_INTEGER + 1', '9007199254740992'],
    ['17 digits', '12345678901234567'],
    ['huge', '9'.repeat(400)],
    ['negative number', -1],
    ['negative zero', -0],
    ['fraction', 4.2],
    ['MAX_SAFE_INTEGER + 1 as number', Number.MAX_SAFE_INTEGER + 1],
    ['Infinity', Infinity],
    ['NaN as number', NaN],
    ['true', true],
    ['false', false],
    ['null', null],
    ['undefined', undefined],
    ['array', [42]],
    ['object', { id: 42 }],
    ['bigint', 42n],
  ])('refuses %s', (_label, sub) => {
    expect(parseUserId(sub)).toBeUndefined();
  });
});

describe('parseUserId with a number as JSON parses it', () => {
  it.each([
    ['1.0', 1],
    ['1e0', 1],
    ['10e-1', 1],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('takes %s as %i', (written, id) => {
    expect(parseUserId(JSON.parse(written))).toBe(id);
  });

  it.each(['-0', '-1', '1.5', '9007199254740992', '1e400'])(
    'refuses %s',
    (written) => {
      expect(parseUserId(JSON.parse(written))).toBeUndefined();
    },
  );
});
