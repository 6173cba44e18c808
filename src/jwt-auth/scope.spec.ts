import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  grantedScopes,
  grantsScopes,
  invalidScopeToken,
  isScopeToken,
  isScopeValue,
} from './scope.js';

const scopeChar = fc.constantFrom(
  ...Array.from({ length: 0x7f - 0x21 }, (_, index) =>
    String.fromCharCode(0x21 + index),
  ).filter((char) => char !== '"' && char !== '\\'),
);
const scopeToken = fc.string({ unit: scopeChar, minLength: 1, maxLength: 8 });

describe('scope grammar (RFC 6749 3.3)', () => {
  it('accepts every string of the scope-token characters', () => {
    fc.assert(fc.property(scopeToken, (token) => isScopeToken(token)));
  });

  it.each(['', ' ', 'a b', 'a"', 'a\\', 'é', 'a\tb', 'a\n', '\x7f', '\x20'])(
    'refuses %j as a scope-token',
    (value) => {
      expect(isScopeToken(value)).toBe(false);
    },
  );

  it.each([undefined, null, 1, ['read'], { read: true }])(
    'refuses %j, which is not a string',
    (value) => {
      expect(isScopeToken(value)).toBe(false);
      expect(isScopeValue(value)).toBe(false);
    },
  );

  it('accepts scope-tokens joined by single spaces, and nothing else', () => {
    fc.assert(
      fc.property(fc.array(scopeToken, { minLength: 1 }), (tokens) => {
        expect(isScopeValue(tokens.join(' '))).toBe(true);
        expect(isScopeValue(tokens.join('  '))).toBe(tokens.length === 1);
        expect(isScopeValue(` ${tokens.join(' ')}`)).toBe(false);
        expect(isScopeValue(`${tokens.join(' ')} `)).toBe(false);
      }),
    );
  });
});

describe('grantedScopes', () => {
  it('reads the space-delimited claim as a set', () => {
    expect([...grantedScopes('read write read')].sort()).toEqual([
      'read',
      'write',
    ]);
  });

  it.each([
    ['a number', 7],
    ['an array', ['read', 'write']],
    ['null', null],
    ['an empty string', ''],
    ['a double space', 'read  write'],
    ['a leading space', ' read'],
    ['a tab', 'read\twrite'],
    ['a quote', 'read "write"'],
    ['non-ASCII', 'read écrire'],
  ])('grants nothing for %s', (_label, claim) => {
    expect(grantedScopes(claim).size).toBe(0);
  });
});

describe('grantsScopes', () => {
  it('grants a route that requires no scope to any claim', () => {
    for (const claim of [undefined, 7, 'read', 'read  write']) {
      expect(grantsScopes(claim, [])).toBe(true);
    }
  });

  it('grants only when every required scope is in the claim', () => {
    expect(grantsScopes('read write', ['write', 'read'])).toBe(true);
    expect(grantsScopes('read', ['read', 'write'])).toBe(false);
    expect(grantsScopes('read  write', ['read'])).toBe(false);
  });
});

describe('invalidScopeToken', () => {
  it('names the first value that is not a scope-token', () => {
    expect(invalidScopeToken(['read', 'a b', 7])).toBe('"a b"');
    expect(invalidScopeToken(['read', 7])).toBe('number');
    expect(invalidScopeToken(['read', undefined])).toBe('undefined');
  });

  it('names nothing when every value is one', () => {
    expect(invalidScopeToken([])).toBeUndefined();
    expect(invalidScopeToken(['read', 'orders:write'])).toBeUndefined();
  });
});
