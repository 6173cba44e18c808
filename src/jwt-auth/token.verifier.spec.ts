import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { forgeToken } from '../../test/support/jws.js';
import { InvalidTokenError } from './errors/invalid-token.error.js';
import type { JwtAuthModuleOptions } from './interfaces/jwt-auth-module-options.interface.js';
import { resolveJwtAuthOptions } from './jwt-auth.options.js';
import { TokenVerifier } from './token.verifier.js';

const secret = randomBytes(32).toString('base64url');
const NOW = Date.UTC(2030, 0, 1) / 1000;

function verifier(options: Partial<JwtAuthModuleOptions> = {}): TokenVerifier {
  return new TokenVerifier(resolveJwtAuthOptions({ secret, ...options }));
}

const token = (claims: Record<string, unknown>) =>
  forgeToken({ payload: { sub: '1', exp: NOW + 60, ...claims }, key: secret });

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidTokenError) return error.code;
    throw error;
  }
  return undefined;
}

describe('TokenVerifier cache', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  const at = (seconds: number) => {
    jest.useFakeTimers({
      now: seconds * 1000,
      doNotFake: ['nextTick', 'setImmediate'],
    });
  };

  it('answers a token presented again from the cache', () => {
    at(NOW);
    const tokens = verifier();
    const text = token({ jti: 'a' });
    expect(tokens.verify(text)).toBe(tokens.verify(text));
  });

  it('still expires a cached token at its exp, and forgets it', () => {
    at(NOW);
    const tokens = verifier();
    const text = token({ exp: NOW + 2 });
    const first = tokens.verify(text);
    at(NOW + 2);
    expect(codeOf(() => tokens.verify(text))).toBe('token_expired');
    at(NOW + 1);
    // Forgotten: verified afresh (a new object), not served from the cache.
    expect(tokens.verify(text)).not.toBe(first);
  });

  it('applies the clock tolerance on a hit as on a miss', () => {
    at(NOW);
    const tokens = verifier({ clockTolerance: 5 });
    const text = token({ exp: NOW + 1 });
    tokens.verify(text);
    at(NOW + 5);
    expect(tokens.verify(text).userId).toBe(1);
    at(NOW + 6);
    expect(codeOf(() => tokens.verify(text))).toBe('token_expired');
  });

  it('checks nbf on a hit, should the clock step back', () => {
    at(NOW);
    const tokens = verifier();
    const text = token({ nbf: NOW });
    tokens.verify(text);
    at(NOW - 30);
    expect(codeOf(() => tokens.verify(text))).toBe('token_not_yet_valid');
  });

  it('holds at most tokenCacheSize entries, dropping the oldest', () => {
    at(NOW);
    const tokens = verifier({ tokenCacheSize: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((jti) => token({ jti }));
    const first = tokens.verify(a);
    const second = tokens.verify(b);
    tokens.verify(c);
    expect(tokens.verify(b)).toBe(second);
    expect(tokens.verify(a)).not.toBe(first);
  });

  it('remembers nothing with tokenCacheSize 0', () => {
    at(NOW);
    const tokens = verifier({ tokenCacheSize: 0 });
    const text = token({});
    expect(tokens.verify(text)).not.toBe(tokens.verify(text));
  });
});
