import { describe, expect, it } from '@jest/globals';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import { VerifiedTokenCache } from './verified-token.cache.js';

const userFor = (userId: number): AuthenticatedUser => ({
  userId,
  claims: { sub: String(userId), exp: 2_000_000_000 },
  tokenId: `jti:${userId}`,
});

const MINUTE = 60_000;

// The fingerprint is taken from the end of the signature: tokens that end
// alike share one, whatever comes before.
const ENDING = '.c2lnbmF0dXJlLWVuZGluZw';
const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0' + ENDING;
const lookalike = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIyIn0' + ENDING;

describe('VerifiedTokenCache', () => {
  it('keeps a token from its second sighting on', () => {
    const cache = new VerifiedTokenCache(8);
    const user = userFor(1);
    cache.offer(token, user, MINUTE);
    expect(cache.get(token)).toBeUndefined();
    cache.offer(token, user, MINUTE);
    expect(cache.get(token)).toBe(user);
  });

  it('serves an entry only to the token of its exact text', () => {
    const cache = new VerifiedTokenCache(8);
    const user = userFor(1);
    cache.offer(token, user, MINUTE);
    cache.offer(token, user, MINUTE);
    expect(cache.get(lookalike)).toBeUndefined();
    cache.delete(lookalike);
    expect(cache.get(token)).toBe(user);
  });

  it("never serves a token its lookalike's user", () => {
    const cache = new VerifiedTokenCache(8);
    const first = userFor(1);
    const second = userFor(2);
    cache.offer(token, first, MINUTE);
    cache.offer(token, first, MINUTE);
    cache.offer(lookalike, second, MINUTE);
    cache.offer(lookalike, second, MINUTE);
    expect(cache.get(lookalike)).toBe(second);
    // Remembered or not: a miss only costs a full verification.
    expect([undefined, first]).toContain(cache.get(token));
  });

  it('forgets a deleted token', () => {
    const cache = new VerifiedTokenCache(8);
    const user = userFor(1);
    cache.offer(token, user, MINUTE);
    cache.offer(token, user, MINUTE);
    cache.delete(token);
    expect(cache.get(token)).toBeUndefined();
  });

  it('holds no more tokens than its size', () => {
    const cache = new VerifiedTokenCache(2);
    const tokens = ['AAAAAAAA', 'BBBBBBBB', 'CCCCCCCC'].map(
      (ending) => `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.${ending}`,
    );
    for (const [index, text] of tokens.entries()) {
      cache.offer(text, userFor(index), MINUTE);
      cache.offer(text, userFor(index), MINUTE);
    }
    expect(tokens.map((text) => cache.get(text)?.userId)).toEqual([
      undefined,
      1,
      2,
    ]);
  });
});
