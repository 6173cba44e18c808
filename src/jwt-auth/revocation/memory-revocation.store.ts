import { RevocationUnavailableError } from '../errors/revocation-unavailable.error.js';
import type {
  RevocationState,
  RevocationStore,
} from './revocation-store.interface.js';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

const NOT_REVOKED: RevocationState = Object.freeze({
  tokenRevoked: false,
  userRevokedAt: undefined,
});

/** A token is revoked for its user only, as in the Redis store. */
const tokenKey = (tokenId: string, userId: number): string =>
  `${userId} ${tokenId}`;

/**
 * Revocations in this process's memory: the default store. Entries are
 * dropped once expired, when looked up or when room is needed; there is no
 * timer per entry. It holds at most `maxEntries` tokens and users: when
 * full of entries that have not expired, a further revocation fails rather
 * than forgetting an earlier one.
 *
 * It is not shared between instances: behind a load balancer, use Redis.
 */
export class MemoryRevocationStore implements RevocationStore {
  /** Expiry of each revoked token, by user and token id. */
  private readonly tokens = new Map<string, number>();
  private readonly users = new Map<
    number,
    { revokedAt: number; expiresAt: number }
  >();
  /** When a full store was last swept for expired entries, in seconds. */
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(private readonly maxEntries: number) {}

  async revokeToken(
    tokenId: string,
    userId: number,
    expiresAt: number,
  ): Promise<void> {
    const key = tokenKey(tokenId, userId);
    if (!this.tokens.has(key)) this.makeRoom();
    this.tokens.set(key, Math.max(expiresAt, this.tokens.get(key) ?? 0));
  }

  async revokeUser(
    userId: number,
    revokedAt: number,
    expiresAt: number,
  ): Promise<void> {
    const previous = this.users.get(userId);
    if (previous === undefined) this.makeRoom();
    this.users.set(userId, {
      revokedAt: Math.max(revokedAt, previous?.revokedAt ?? revokedAt),
      expiresAt: Math.max(expiresAt, previous?.expiresAt ?? expiresAt),
    });
  }

  async lookup(tokenId: string, userId: number): Promise<RevocationState> {
    if (this.tokens.size === 0 && this.users.size === 0) return NOT_REVOKED;
    const now = nowSeconds();
    const key = tokenKey(tokenId, userId);
    const tokenExpiresAt = this.tokens.get(key);
    if (tokenExpiresAt !== undefined && tokenExpiresAt <= now)
      this.tokens.delete(key);
    const user = this.users.get(userId);
    if (user !== undefined && user.expiresAt <= now) this.users.delete(userId);
    return {
      tokenRevoked: tokenExpiresAt !== undefined && tokenExpiresAt > now,
      userRevokedAt:
        user !== undefined && user.expiresAt > now ? user.revokedAt : undefined,
    };
  }

  private makeRoom(): void {
    if (this.tokens.size + this.users.size < this.maxEntries) return;
    const now = nowSeconds();
    // A full store is swept at most once a second: sweeping is O(entries).
    if (now > this.lastSweep) {
      this.lastSweep = now;
      this.sweep(now);
    }
    if (this.tokens.size + this.users.size >= this.maxEntries) {
      throw new RevocationUnavailableError(
        `The in-memory revocation store is full (${this.maxEntries} unexpired entries): raise revocation.maxEntries or use Redis`,
      );
    }
  }

  private sweep(now: number): void {
    for (const [id, expiresAt] of this.tokens) {
      if (expiresAt <= now) this.tokens.delete(id);
    }
    for (const [id, user] of this.users) {
      if (user.expiresAt <= now) this.users.delete(id);
    }
  }
}
