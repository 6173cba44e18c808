import { beforeEach, describe, expect, it } from '@jest/globals';
import type {
  RevocationState,
  RevocationStore,
} from '../../src/jwt-auth/index.js';
import { nowSeconds } from './jws.js';

/**
 * What every RevocationStore must do; run against each store the module
 * ships. `fresh` gives an empty store (or one with keys no other test uses).
 */
export function revocationStoreContract(
  fresh: () => RevocationStore | Promise<RevocationStore>,
): void {
  describe('the RevocationStore contract', () => {
    let store: RevocationStore;
    let id = 0;
    const unique = () => `jti:contract-${Date.now()}-${++id}`;
    const userId = () => 1_000_000 + Math.floor(Math.random() * 1_000_000_000);

    beforeEach(async () => {
      store = await fresh();
    });

    it('answers a lookup with a promise, whatever it holds', async () => {
      // Typed as the interface promises: a store may not answer synchronously.
      const empty: Promise<RevocationState> = store.lookup(unique(), userId());
      expect(empty).toBeInstanceOf(Promise);
      await empty;
      const revoked = unique();
      const user = userId();
      await store.revokeToken(revoked, user, nowSeconds(), nowSeconds() + 60);
      const held: Promise<RevocationState> = store.lookup(revoked, user);
      expect(held).toBeInstanceOf(Promise);
      expect((await held).tokenRevoked).toBe(true);
    });

    it('knows nothing of a token or user it was not told of', async () => {
      await expect(store.lookup(unique(), userId())).resolves.toEqual({
        tokenRevoked: false,
        userRevokedAt: undefined,
      });
    });

    it('reports a revoked token until it expires, and only that token', async () => {
      const revoked = unique();
      const user = userId();
      await store.revokeToken(revoked, user, nowSeconds(), nowSeconds() + 60);
      expect(await store.lookup(revoked, user)).toEqual({
        tokenRevoked: true,
        userRevokedAt: undefined,
      });
      expect((await store.lookup(unique(), user)).tokenRevoked).toBe(false);
    });

    it('revokes a token for its own user only, as user and token id are what the verifier vouches for', async () => {
      const revoked = unique();
      const user = userId();
      await store.revokeToken(revoked, user, nowSeconds(), nowSeconds() + 60);
      expect(await store.lookup(revoked, user + 1)).toEqual({
        tokenRevoked: false,
        userRevokedAt: undefined,
      });
    });

    it('forgets a token once its expiry has passed', async () => {
      const revoked = unique();
      const user = userId();
      await store.revokeToken(revoked, user, nowSeconds(), nowSeconds() + 1);
      expect((await store.lookup(revoked, user)).tokenRevoked).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect((await store.lookup(revoked, user)).tokenRevoked).toBe(false);
    });

    it("reports a user's revoked token and cutoff together", async () => {
      const revoked = unique();
      const user = userId();
      const now = nowSeconds();
      // Issued after the cutoff, so that the cutoff does not cover it.
      await store.revokeToken(revoked, user, now, now + 60);
      await store.revokeUser(user, now - 10, now + 60);
      expect(await store.lookup(revoked, user)).toEqual({
        tokenRevoked: true,
        userRevokedAt: now - 10,
      });
    });

    it("reports a user's cutoff, and never moves it back", async () => {
      const user = userId();
      const now = nowSeconds();
      await store.revokeUser(user, now, now + 60);
      expect((await store.lookup(unique(), user)).userRevokedAt).toBe(now);
      await store.revokeUser(user, now - 30, now + 60);
      expect((await store.lookup(unique(), user)).userRevokedAt).toBe(now);
      await store.revokeUser(user, now + 5, now + 60);
      expect((await store.lookup(unique(), user)).userRevokedAt).toBe(now + 5);
      expect(
        (await store.lookup(unique(), userId())).userRevokedAt,
      ).toBeUndefined();
    });

    it("keeps a user's entry until the later expiry it was given", async () => {
      const user = userId();
      const now = nowSeconds();
      await store.revokeUser(user, now, now + 60);
      await store.revokeUser(user, now + 5, now + 1);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect((await store.lookup(unique(), user)).userRevokedAt).toBe(now + 5);
    });

    it("forgets a user's cutoff once it has expired", async () => {
      const user = userId();
      await store.revokeUser(user, nowSeconds(), nowSeconds() + 1);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect(
        (await store.lookup(unique(), user)).userRevokedAt,
      ).toBeUndefined();
    });
  });
}
