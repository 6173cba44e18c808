import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { decodesToAscii, decodesToUtf8 } from './base64url.js';

const segment = (bytes: Uint8Array): string =>
  Buffer.from(bytes).toString('base64url');

/** Bytes mostly ASCII, with now and then one that is not. */
const mostlyAscii = fc
  .uint8Array({ minLength: 1, maxLength: 48 })
  .map((bytes) =>
    bytes.map((byte, index) => (index % 7 === 3 ? byte : byte & 0x7f)),
  );

const isAscii = (bytes: Uint8Array): boolean =>
  bytes.every((byte) => byte < 0x80);

describe('decodesToAscii', () => {
  it('is true exactly when every byte is ASCII', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 48 }), mostlyAscii),
        (bytes) => {
          expect(decodesToAscii(`${segment(bytes)}.`, 0)).toBe(isAscii(bytes));
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('takes a byte with its top bit set as not ASCII, in each place of a group', () => {
    for (let length = 1; length <= 6; length++) {
      for (let index = 0; index < length; index++) {
        const bytes = new Uint8Array(length).fill(0x41);
        bytes[index] = 0x80;
        expect(decodesToAscii(`${segment(bytes)}.`, 0)).toBe(false);
        bytes[index] = 0x7f;
        expect(decodesToAscii(`${segment(bytes)}.`, 0)).toBe(true);
      }
    }
  });

  it('reads from the start given, up to the next dot only', () => {
    const ascii = segment(Buffer.from('{"sub":"1"}'));
    const beyond = segment(Uint8Array.from([0xc3, 0xa9]));
    expect(
      decodesToAscii(`${beyond}.${ascii}.${beyond}`, beyond.length + 1),
    ).toBe(true);
    expect(
      decodesToAscii(`${ascii}.${beyond}.${ascii}`, ascii.length + 1),
    ).toBe(false);
    // A segment that the text's end closes is not read as ASCII.
    expect(decodesToAscii(ascii, 0)).toBe(false);
  });
});

describe('decodesToUtf8', () => {
  it('agrees with isUtf8 on any bytes, at any place in a token', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 48 }), mostlyAscii),
        fc.boolean(),
        (bytes, last) => {
          const text = `eyJhbGciOiJIUzI1NiJ9.${segment(bytes)}${last ? '' : '.c2ln'}`;
          expect(decodesToUtf8(text, text.indexOf('.') + 1)).toBe(
            isUtf8(bytes),
          );
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('accepts UTF-8 beyond ASCII, and refuses bytes that are not UTF-8', () => {
    expect(decodesToUtf8(`${segment(Buffer.from('{"n":"é€😀"}'))}.`, 0)).toBe(
      true,
    );
    expect(
      decodesToUtf8(`${segment(Uint8Array.from([0xed, 0xa0, 0x80]))}.`, 0),
    ).toBe(false);
  });
});
