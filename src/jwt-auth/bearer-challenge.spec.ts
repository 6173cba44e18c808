import { describe, expect, it } from '@jest/globals';
import { bearerChallenge } from './bearer-challenge.js';
import {
  INVALID_TOKEN_DESCRIPTIONS,
  type InvalidTokenCode,
} from './errors/invalid-token.error.js';

/** RFC 6750 3: error_description is limited to these characters. */
const DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;

describe('bearerChallenge', () => {
  it('names only the realm when no token was presented (RFC 6750 3.1)', () => {
    expect(bearerChallenge('api', 'token_missing')).toBe('Bearer realm="api"');
  });

  it.each(Object.keys(INVALID_TOKEN_DESCRIPTIONS) as InvalidTokenCode[])(
    'adds invalid_token and a fixed description for %s',
    (code) => {
      const description = INVALID_TOKEN_DESCRIPTIONS[code];
      expect(description).toMatch(DESCRIPTION_CHARS);
      expect(bearerChallenge('my realm', code)).toBe(
        `Bearer realm="my realm", error="invalid_token", error_description="${description}"`,
      );
    },
  );

  it('gives each code its own description', () => {
    const descriptions = Object.values(INVALID_TOKEN_DESCRIPTIONS);
    expect(new Set(descriptions).size).toBe(descriptions.length);
  });

  it('asks for the required scopes with insufficient_scope (RFC 6750 3.1)', () => {
    expect(bearerChallenge('api', 'insufficient_scope', ['read', 'a:b'])).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="The access token does not grant the required scope", scope="read a:b"',
    );
  });

  it.each([
    ['no scope', []],
    ['a quote', ['read"']],
    ['a backslash', ['read\\']],
    ['a space', ['read write']],
    ['an empty scope', ['']],
  ])(
    'refuses to quote %s into the scope attribute',
    (_label, scopes: string[]) => {
      expect(() =>
        bearerChallenge('api', 'insufficient_scope', scopes),
      ).toThrow(TypeError);
    },
  );
});
