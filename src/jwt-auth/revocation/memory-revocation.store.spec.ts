import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { InvalidTokenError } from '../errors/invalid-token.error.js';
import { RevocationUnavailableError } from '../errors/revocation-unavailable.error.js';
import { resolveJwtAuthOptions } from '../jwt-auth.options.js';
import { tokenServiceFor } from '../../../test/support/services.js';
import type { TokenService } from '../token.service.js';
import { MemoryRevocationStore } from './memory-revocation.store.js';

const NOW = Date.UTC(2030, 0, 1) / 1000;
const at = (seconds: number) =>
  jest.useFakeTimers({
    now: seconds * 1000,
    doNotFake: ['nextTick', 'setImmediate'],
  });

/** Real tokens, checked against `store`; each token lives `expiresIn` seconds. */
function tokensOver(store: MemoryRevocationStore, expiresIn = 3600) {
  const resolved = resolveJwtAuthOptions({
    secret: randomBytes(32),
    expiresIn,
  });
  return tokenServiceFor(resolved, store);
}

/** Why `verify` refused a token (its code), or `undefined` when it accepted it. */
const refusalOf = (tokens: TokenService, token: string) =>
  tokens.verify(token).then(
    () => undefined,
    (error: unknown) => {
      if (error instanceof InvalidTokenError) return error.code;
      throw error;
    },
  );

/** A deterministic sequence in [0, 1), so that a failure can be replayed. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}

describe('MemoryRevocationStore', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('makes room by dropping expired entries', async () => {
    at(NOW);
    const store = new MemoryRevocationStore(1);
    await store.revokeToken('jti:a', 1, NOW, NOW + 1);
    at(NOW + 2);
    await store.revokeToken('jti:b', 2, NOW + 2, NOW + 60);
    expect((await store.lookup('jti:b', 2)).tokenRevoked).toBe(true);
    expect(await store.lookup('jti:a', 1)).toEqual({
      tokenRevoked: false,
      userRevokedAt: undefined,
    });
  });

  it("refuses a revocation only when every entry is a different user's, and forgets none", async () => {
    at(NOW);
    const store = new MemoryRevocationStore(2);
    await store.revokeToken('jti:a', 1, NOW, NOW + 60);
    await store.revokeUser(2, NOW - 10, NOW + 60);
    await expect(
      store.revokeToken('jti:b', 3, NOW, NOW + 60),
    ).rejects.toBeInstanceOf(RevocationUnavailableError);
    expect(await store.lookup('jti:a', 1)).toEqual({
      tokenRevoked: true,
      userRevokedAt: undefined,
    });
    expect((await store.lookup('jti:x', 2)).userRevokedAt).toBe(NOW - 10);
    // A user who holds an entry still revokes, within that entry: both of
    // their tokens are covered by a cutoff at the second of the later iat.
    await store.revokeToken('jti:c', 1, NOW + 1.5, NOW + 60);
    expect(await store.lookup('jti:a', 1)).toEqual({
      tokenRevoked: false,
      userRevokedAt: NOW + 1,
    });
  });

  it("does not let one user's logouts stop another user's logout", async () => {
    at(NOW);
    const store = new MemoryRevocationStore(10);
    const tokens = tokensOver(store);
    const revoked: string[] = [];
    for (let login = 0; login < 500; login++) {
      // A login and a logout a second, by the same user.
      at(NOW + login);
      const token = await tokens.sign({ sub: 1 });
      await tokens.revoke(token);
      revoked.push(token);
    }
    // The other nine users fit in the entries left: one user holds one.
    for (let user = 2; user <= 10; user++) {
      const token = await tokens.sign({ sub: user });
      const kept = await tokens.sign({ sub: user });
      await tokens.revoke(token);
      expect(await refusalOf(tokens, token)).toBe('token_revoked');
      expect(await refusalOf(tokens, kept)).toBeUndefined();
      revoked.push(token);
    }
    for (const token of revoked)
      expect(await refusalOf(tokens, token)).toBe('token_revoked');
    // A token the first user gets afterwards works.
    at(NOW + 500);
    expect(
      await refusalOf(tokens, await tokens.sign({ sub: 1 })),
    ).toBeUndefined();
    // The bound is in users: the eleventh one does not fit in ten entries.
    await expect(
      tokens.revoke(await tokens.sign({ sub: 11 })),
    ).rejects.toBeInstanceOf(RevocationUnavailableError);
  });

  it('keeps each user within its share of tokens, folding the rest into a cutoff', async () => {
    at(NOW);
    const store = new MemoryRevocationStore(1000, 3);
    const revoked: string[] = [];
    for (let i = 0; i < 3; i++) {
      await store.revokeToken(`jti:${i}`, 1, NOW + i, NOW + 60 + i);
      revoked.push(`jti:${i}`);
    }
    // Within its share, each token is its own entry: nothing else is refused.
    expect(await store.lookup('jti:2', 1)).toEqual({
      tokenRevoked: true,
      userRevokedAt: undefined,
    });
    await store.revokeToken('jti:3', 1, NOW + 3, NOW + 63);
    expect(await store.lookup('jti:other', 1)).toEqual({
      tokenRevoked: false,
      userRevokedAt: NOW + 3,
    });
    // The cutoff lives as long as the latest of the tokens it covers.
    at(NOW + 62);
    expect((await store.lookup('jti:other', 1)).userRevokedAt).toBe(NOW + 3);
    at(NOW + 63);
    expect((await store.lookup('jti:other', 1)).userRevokedAt).toBeUndefined();
  });

  it('folds tokens without iat into a cutoff that covers only such tokens', async () => {
    at(NOW);
    const store = new MemoryRevocationStore(1000, 1);
    await store.revokeToken('sha256:a', 1, undefined, NOW + 60);
    await store.revokeToken('sha256:b', 1, undefined, NOW + 90);
    // No iat to move the cutoff to: it covers tokens without iat only.
    expect((await store.lookup('sha256:a', 1)).userRevokedAt).toBe(
      Number.NEGATIVE_INFINITY,
    );
    at(NOW + 61);
    expect((await store.lookup('sha256:b', 1)).userRevokedAt).toBe(
      Number.NEGATIVE_INFINITY,
    );
  });

  it('never forgets a revocation, whatever the order of logins, logouts and full logouts', async () => {
    const random = sequence(20_300_101);
    const expiresIn = 40;
    // Few entries and a small share, so that folding and making room for
    // another user happen often; fewer users than entries, so that none is
    // ever refused.
    const store = new MemoryRevocationStore(6, 2);
    const tokens = tokensOver(store, expiresIn);
    let now = NOW;
    at(now);
    let live: { token: string; userId: number; issuedAt: number }[] = [];
    let revoked: { token: string; expiresAt: number }[] = [];
    const revokedAll = new Map<number, number>();
    for (let step = 0; step < 400; step++) {
      if (random() < 0.3) {
        now += Math.floor(random() * 4);
        at(now);
        live = live.filter(({ issuedAt }) => issuedAt + expiresIn > now);
        revoked = revoked.filter(({ expiresAt }) => expiresAt > now);
      }
      const choice = random();
      if (choice < 0.45 || live.length === 0) {
        const userId = 1 + Math.floor(random() * 5);
        live.push({
          token: await tokens.sign({ sub: userId }),
          userId,
          issuedAt: now,
        });
      } else if (choice < 0.95) {
        const [{ token, issuedAt }] = live.splice(
          Math.floor(random() * live.length),
          1,
        );
        await tokens.revoke(token);
        revoked.push({ token, expiresAt: issuedAt + expiresIn });
      } else {
        const userId = 1 + Math.floor(random() * 5);
        await tokens.revokeAllForUser(userId);
        revokedAll.set(userId, now);
      }
      for (const { token } of revoked)
        expect(await refusalOf(tokens, token)).toBe('token_revoked');
      for (const { token, userId, issuedAt } of live) {
        const cutoff = revokedAll.get(userId);
        if (cutoff !== undefined && issuedAt <= cutoff)
          expect(await refusalOf(tokens, token)).toBe('token_revoked');
      }
    }
    // Folding refuses more than was revoked, but never what comes later.
    at(now + 1);
    for (let userId = 1; userId <= 5; userId++)
      expect(
        await refusalOf(tokens, await tokens.sign({ sub: userId })),
      ).toBeUndefined();
  });
});
