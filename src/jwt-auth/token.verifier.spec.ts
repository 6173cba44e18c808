import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { forgeToken } from '../../test/support/jws.js';
import { verifierFor } from '../../test/support/services.js';
import { InvalidTokenError } from './errors/invalid-token.error.js';
import type { JwtAuthModuleOptions } from './interfaces/jwt-auth-module-options.interface.js';
import { resolveJwtAuthOptions } from './jwt-auth.options.js';
import type { TokenVerifier } from './token.verifier.js';

const secret = randomBytes(32).toString('base64url');
const NOW = Date.UTC(2030, 0, 1) / 1000;

function verifier(options: Partial<JwtAuthModuleOptions> = {}): TokenVerifier {
  return verifierFor(resolveJwtAuthOptions({ secret, ...options }));
}

const token = (claims: Record<string, unknown>) =>
  forgeToken({ payload: { sub: '1', exp: NOW + 60, ...claims }, key: secret });

async function codeOf(run: () => unknown): Promise<string | undefined> {
  try {
    await run();
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

  /** Verifies a token until the cache has it, and returns what it holds. */
  const cached = async (tokens: TokenVerifier, text: string) => {
    await tokens.verify(text);
    return tokens.verify(text);
  };

  it('keeps a token from its second sighting on', async () => {
    at(NOW);
    const tokens = verifier();
    const text = token({ jti: 'a' });
    const first = await tokens.verify(text);
    expect(tokens.cached(text)).toBeUndefined();
    const second = await tokens.verify(text);
    expect(second).not.toBe(first);
    expect(await tokens.verify(text)).toBe(second);
    expect(tokens.cached(text)).toBe(second);
  });

  it('keeps no token sighted once, however many others pass', async () => {
    at(NOW);
    const tokens = verifier({ tokenCacheSize: 4 });
    const texts = Array.from({ length: 64 }, (_, jti) =>
      token({ jti: `${jti}` }),
    );
    for (const text of texts) await tokens.verify(text);
    expect(texts.filter((text) => tokens.cached(text) !== undefined)).toEqual(
      [],
    );
  });

  it('names a token by its jti, or, for a jti that is not well-formed text, by a digest of its claims', async () => {
    at(NOW);
    const tokens = verifier();
    expect((await tokens.verify(token({ jti: 'a\u{1F600}b' }))).tokenId).toBe(
      'jti:a\u{1F600}b',
    );
    for (const jti of ['\ud800', 'a\udfffb', '\ude00\ud83d']) {
      const { tokenId } = await tokens.verify(token({ jti }));
      expect(tokenId).toMatch(/^sha256:[\w-]{43}$/);
      expect((await tokens.verify(token({ jti: `${jti}x` }))).tokenId).not.toBe(
        tokenId,
      );
    }
  });

  it('keeps no refused token', async () => {
    at(NOW);
    const tokens = verifier();
    const text = token({ sub: 'alice' });
    expect(await codeOf(() => tokens.verify(text))).toBe('invalid_subject');
    expect(tokens.cached(text)).toBeUndefined();
  });

  it('still expires a cached token at its exp, and forgets it', async () => {
    at(NOW);
    const tokens = verifier();
    const text = token({ exp: NOW + 2 });
    const held = await cached(tokens, text);
    expect(await tokens.verify(text)).toBe(held);
    at(NOW + 2);
    expect(await codeOf(() => tokens.verify(text))).toBe('token_expired');
    at(NOW + 1);
    // Forgotten: verified afresh (a new object), not served from the cache.
    expect(await tokens.verify(text)).not.toBe(held);
  });

  it('applies the clock tolerance on a hit as on a miss', async () => {
    at(NOW);
    const tokens = verifier({ clockTolerance: 5 });
    const text = token({ exp: NOW + 1 });
    const held = await cached(tokens, text);
    at(NOW + 5);
    expect(await tokens.verify(text)).toBe(held);
    at(NOW + 6);
    expect(await codeOf(() => tokens.verify(text))).toBe('token_expired');
  });

  it.each(['nbf', 'iat'])(
    'checks %s on a hit, should the clock step back',
    async (claim) => {
      at(NOW);
      const tokens = verifier();
      const text = token({ [claim]: NOW });
      const held = await cached(tokens, text);
      expect(await tokens.verify(text)).toBe(held);
      at(NOW - 30);
      expect(await codeOf(() => tokens.verify(text))).toBe(
        'token_not_yet_valid',
      );
    },
  );

  it.each([
    ['an iat', { iat: NOW + 0.5 }, undefined],
    ['an nbf', { nbf: NOW + 0.5 }, undefined],
    ['an exp', { exp: NOW + 0.5 }, 'token_expired'],
  ])(
    'reads %s with a fraction against the exact clock, not whole seconds',
    async (_name, claims, refusal) => {
      at(NOW + 0.6);
      expect(await codeOf(() => verifier().verify(token(claims)))).toBe(
        refusal,
      );
      at(NOW + 0.4);
      const early = await codeOf(() => verifier().verify(token(claims)));
      expect(early).toBe(
        refusal === undefined ? 'token_not_yet_valid' : undefined,
      );
    },
  );

  it('holds at most tokenCacheSize entries, dropping the least recently used', async () => {
    at(NOW);
    const tokens = verifier({ tokenCacheSize: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((jti) => token({ jti }));
    const first = await cached(tokens, a);
    const second = await cached(tokens, b);
    expect(await tokens.verify(a)).toBe(first);
    await cached(tokens, c);
    expect(await tokens.verify(a)).toBe(first);
    expect(await tokens.verify(b)).not.toBe(second);
  });

  it('takes any tokenCacheSize, with no room taken up front', async () => {
    at(NOW);
    const reserved = process.memoryUsage().arrayBuffers;
    const tokens = verifier({ tokenCacheSize: Number.MAX_SAFE_INTEGER });
    expect(process.memoryUsage().arrayBuffers - reserved).toBeLessThanOrEqual(
      4 * 1024 * 1024,
    );
    const text = token({});
    const held = await cached(tokens, text);
    expect(await tokens.verify(text)).toBe(held);
  });

  it('remembers nothing with tokenCacheSize 0', async () => {
    at(NOW);
    const tokens = verifier({ tokenCacheSize: 0 });
    const text = token({});
    expect(await tokens.verify(text)).not.toBe(await tokens.verify(text));
  });
});
