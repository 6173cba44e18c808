/** What a store knows of one token, from one lookup. */
export interface RevocationState {
  /** Whether this token was revoked. */
  readonly tokenRevoked: boolean;
  /**
   * When the user's tokens were last revoked all at once, in NumericDate
   * seconds: every token of theirs issued in that second or before (its
   * `iat` rounded down at or before it), and every one without `iat`, is
   * refused. `-Infinity` covers only the latter.
   */
  readonly userRevokedAt: number | undefined;
}

/**
 * Where revocations are kept. The module ships an in-memory store (one
 * process) and a Redis store (shared by every instance); an application may
 * bring its own.
 *
 * Times are NumericDate seconds (RFC 7519 2). A store may forget an entry
 * once its `expiresAt` has passed: the token is expired by then anyway.
 */
export interface RevocationStore {
  /**
   * Records that the token of `userId` known as `tokenId`, issued at
   * `issuedAt` (its `iat`, `undefined` for a token without one), is revoked
   * until `expiresAt`. The user lets a store keep a user's entries together
   * (in one Redis Cluster slot, say), and the user and `issuedAt` let it
   * record a cutoff that covers the token instead (see `revokeUser`).
   */
  revokeToken(
    tokenId: string,
    userId: number,
    issuedAt: number | undefined,
    expiresAt: number,
  ): Promise<void>;

  /**
   * Records that every token of `userId` issued in the second `revokedAt`
   * or before is revoked, until `expiresAt` (when the last of them
   * expires).
   */
  revokeUser(
    userId: number,
    revokedAt: number,
    expiresAt: number,
  ): Promise<void>;

  /**
   * Looks up the token of `userId` known as `tokenId`, and the user, at
   * once (one round trip for a remote store).
   */
  lookup(tokenId: string, userId: number): Promise<RevocationState>;
}
