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

/** How many revoked tokens one user may hold before they are folded into a cutoff. */
const DEFAULT_TOKENS_PER_USER = 32;

/** A revoked token of a user, as the store keeps it. */
interface RevokedToken {
  readonly issuedAt: number | undefined;
  expiresAt: number;
}

/** Every token of the user issued in the second `revokedAt` or before is revoked, until `expiresAt`. */
interface Cutoff {
  revokedAt: number;
  expiresAt: number;
}

/** What the store holds of one user: at least one entry, else nothing. */
interface UserRevocations {
  readonly tokens: Map<string, RevokedToken>;
  cutoff: Cutoff | undefined;
}

/**
 * Whether a cutoff covers a token, as `RevocationService` decides it: by
 * whole seconds, and always for one without `iat`, which cannot show it
 * came later.
 */
const covers = (revokedAt: number, issuedAt: number | undefined): boolean =>
  issuedAt === undefined || Math.floor(issuedAt) <= revokedAt;

const entriesOf = (user: UserRevocations): number =>
  user.tokens.size + (user.cutoff === undefined ? 0 : 1);

/**
 * Revocations in this process's memory: the default store. It is not
 * shared between instances: behind a load balancer, use Redis.
 *
 * It holds at most `maxEntries` entries: a revoked token, or a user's
 * cutoff (every token of the user issued in its second or before is
 * revoked, as `revokeUser` records). Entries are dropped once expired, when
 * looked up or when room is needed; there is no timer per entry.
 *
 * Entries are bounded by users, not by logins, so that no account can fill
 * the store by logging in and out and so keep everyone else from logging
 * out. A user holds at most `tokensPerUser` revoked tokens, plus a cutoff.
 * When a revocation would take a user past that share, or the store is
 * full, the user's revoked tokens are folded into their cutoff: it moves up
 * to the second of the latest `iat` among them, and lives until the last of
 * them expires. That user then holds one entry, and tokens of theirs that
 * were issued up to the end of that second and not revoked are refused
 * too: the price of holding one entry instead of many falls on the user
 * who needed many. When the store is full and a user without entries
 * revokes, the user holding the most entries is folded to make room.
 *
 * A revocation is never forgotten before it expires. One is refused with
 * `RevocationUnavailableError` only when every entry is a different user's
 * cutoff or token: `maxEntries` users hold unexpired revocations.
 */
export class MemoryRevocationStore implements RevocationStore {
  /** Unexpired revocations, by user: a user with none has no key. */
  private readonly users = new Map<number, UserRevocations>();
  /** Revoked tokens plus cutoffs, over every user. */
  private entries = 0;
  /** When a full store was last swept for expired entries, in seconds. */
  private lastSweep = Number.NEGATIVE_INFINITY;

  /**
   * @param maxEntries How many revoked tokens and cutoffs it holds at most,
   *   over every user.
   * @param tokensPerUser How many revoked tokens one user holds before they
   *   are folded into the user's cutoff. @default 32
   */
  constructor(
    private readonly maxEntries: number,
    private readonly tokensPerUser: number = DEFAULT_TOKENS_PER_USER,
  ) {
    if (!Number.isSafeInteger(tokensPerUser) || tokensPerUser < 1) {
      throw new TypeError(
        'MemoryRevocationStore: tokensPerUser must be a positive integer',
      );
    }
  }

  async revokeToken(
    tokenId: string,
    userId: number,
    issuedAt: number | undefined,
    expiresAt: number,
  ): Promise<void> {
    this.revokeTokenNow(tokenId, userId, issuedAt, expiresAt);
  }

  async revokeUser(
    userId: number,
    revokedAt: number,
    expiresAt: number,
  ): Promise<void> {
    this.revokeUserNow(userId, revokedAt, expiresAt);
  }

  /**
   * `revokeToken()`, at once.
   *
   * @throws RevocationUnavailableError when the store is full.
   */
  revokeTokenNow(
    tokenId: string,
    userId: number,
    issuedAt: number | undefined,
    expiresAt: number,
  ): void {
    const now = nowSeconds();
    // Nothing to keep: a lookup would not report it.
    if (expiresAt <= now) return;
    const user = this.unexpired(userId, now);
    if (user === undefined) {
      this.makeRoomForUser(now);
      this.users.set(userId, {
        tokens: new Map([[tokenId, { issuedAt, expiresAt }]]),
        cutoff: undefined,
      });
      this.entries++;
      return;
    }
    const { cutoff } = user;
    if (cutoff !== undefined && covers(cutoff.revokedAt, issuedAt)) {
      cutoff.expiresAt = Math.max(cutoff.expiresAt, expiresAt);
      return;
    }
    const known = user.tokens.get(tokenId);
    if (known !== undefined) {
      known.expiresAt = Math.max(known.expiresAt, expiresAt);
      return;
    }
    if (user.tokens.size < this.tokensPerUser && this.hasRoom(now, 1)) {
      user.tokens.set(tokenId, { issuedAt, expiresAt });
      this.entries++;
      return;
    }
    this.fold(user, { issuedAt, expiresAt });
  }

  /**
   * `revokeUser()`, at once.
   *
   * @throws RevocationUnavailableError when the store is full.
   */
  revokeUserNow(userId: number, revokedAt: number, expiresAt: number): void {
    const now = nowSeconds();
    if (expiresAt <= now) return;
    const user = this.unexpired(userId, now);
    if (user === undefined) {
      this.makeRoomForUser(now);
      this.users.set(userId, {
        tokens: new Map(),
        cutoff: { revokedAt, expiresAt },
      });
      this.entries++;
      return;
    }
    const previous = user.cutoff;
    const cutoff: Cutoff = {
      revokedAt: Math.max(revokedAt, previous?.revokedAt ?? revokedAt),
      expiresAt: Math.max(expiresAt, previous?.expiresAt ?? expiresAt),
    };
    if (previous === undefined) this.entries++;
    user.cutoff = cutoff;
    // Tokens the cutoff now covers need no entry of their own.
    for (const [id, token] of user.tokens) {
      if (covers(cutoff.revokedAt, token.issuedAt)) {
        cutoff.expiresAt = Math.max(cutoff.expiresAt, token.expiresAt);
        user.tokens.delete(id);
        this.entries--;
      }
    }
    if (!this.hasRoom(now, 0)) this.fold(user);
  }

  async lookup(tokenId: string, userId: number): Promise<RevocationState> {
    return this.lookupNow(tokenId, userId);
  }

  /** `lookup()`'s answer, at once. */
  lookupNow(tokenId: string, userId: number): RevocationState {
    const user = this.users.get(userId);
    if (user === undefined) return NOT_REVOKED;
    const now = nowSeconds();
    let tokenRevoked = false;
    const token = user.tokens.get(tokenId);
    if (token !== undefined) {
      if (token.expiresAt > now) tokenRevoked = true;
      else {
        user.tokens.delete(tokenId);
        this.entries--;
      }
    }
    let userRevokedAt: number | undefined;
    if (user.cutoff !== undefined) {
      if (user.cutoff.expiresAt > now) userRevokedAt = user.cutoff.revokedAt;
      else {
        user.cutoff = undefined;
        this.entries--;
      }
    }
    if (entriesOf(user) === 0) this.users.delete(userId);
    return tokenRevoked || userRevokedAt !== undefined
      ? { tokenRevoked, userRevokedAt }
      : NOT_REVOKED;
  }

  /** The user's revocations, less the expired ones; `undefined` when none is left. */
  private unexpired(userId: number, now: number): UserRevocations | undefined {
    const user = this.users.get(userId);
    if (user === undefined) return undefined;
    this.dropExpired(user, now);
    if (entriesOf(user) > 0) return user;
    this.users.delete(userId);
    return undefined;
  }

  /**
   * Replaces the user's revoked tokens, and `extra`, by their cutoff: the
   * second of the latest `iat` among them covers every one of them. Tokens without `iat`
   * add nothing to it, since any cutoff covers them; `-Infinity` when none
   * has one.
   */
  private fold(user: UserRevocations, extra?: RevokedToken): void {
    const cutoff: Cutoff = user.cutoff ?? {
      revokedAt: Number.NEGATIVE_INFINITY,
      expiresAt: Number.NEGATIVE_INFINITY,
    };
    const folded = [...user.tokens.values()];
    if (extra !== undefined) folded.push(extra);
    for (const { issuedAt, expiresAt } of folded) {
      if (issuedAt !== undefined)
        cutoff.revokedAt = Math.max(cutoff.revokedAt, Math.floor(issuedAt));
      cutoff.expiresAt = Math.max(cutoff.expiresAt, expiresAt);
    }
    this.entries += 1 - entriesOf(user);
    user.tokens.clear();
    user.cutoff = cutoff;
  }

  /**
   * Makes room for the entry of a user who has none: by sweeping, else by
   * folding the user with the most entries.
   *
   * @throws RevocationUnavailableError when every entry is another user's.
   */
  private makeRoomForUser(now: number): void {
    if (this.hasRoom(now, 1)) return;
    let fullest: UserRevocations | undefined;
    let most = 1;
    for (const user of this.users.values()) {
      const held = entriesOf(user);
      if (held > most) {
        fullest = user;
        most = held;
        // No user holds more than this.
        if (held > this.tokensPerUser) break;
      }
    }
    if (fullest === undefined) {
      throw new RevocationUnavailableError(
        `The in-memory revocation store is full (${this.maxEntries} users with unexpired revocations): raise revocation.maxEntries or use Redis`,
      );
    }
    this.fold(fullest);
  }

  /** Whether `needed` more entries fit, once expired entries are dropped. */
  private hasRoom(now: number, needed: number): boolean {
    if (this.entries + needed <= this.maxEntries) return true;
    // A full store is swept at most once a second: sweeping is O(entries).
    if (now > this.lastSweep) {
      this.lastSweep = now;
      this.sweep(now);
    }
    return this.entries + needed <= this.maxEntries;
  }

  private sweep(now: number): void {
    for (const [userId, user] of this.users) {
      this.dropExpired(user, now);
      if (entriesOf(user) === 0) this.users.delete(userId);
    }
  }

  private dropExpired(user: UserRevocations, now: number): void {
    for (const [id, token] of user.tokens) {
      if (token.expiresAt <= now) {
        user.tokens.delete(id);
        this.entries--;
      }
    }
    if (user.cutoff !== undefined && user.cutoff.expiresAt <= now) {
      user.cutoff = undefined;
      this.entries--;
    }
  }
}
