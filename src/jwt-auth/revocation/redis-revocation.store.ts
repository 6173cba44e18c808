import type {
  RevocationState,
  RevocationStore,
} from './revocation-store.interface.js';

/**
 * Sets a revoked token's key, its value the token's `iat` (empty when it has
 * none), and announces it on the feed: both or neither.
 */
const REVOKE_TOKEN = `
redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

/**
 * Sets a user's cutoff to the later of the stored and the given one,
 * expiring at the later expiry, and announces the result on the feed. The
 * numbers go out as written: Lua would round a large user id.
 */
const REVOKE_USER = `
local cutoff = ARGV[1]
local stored = redis.call('GET', KEYS[1])
if stored and tonumber(stored) > tonumber(cutoff) then cutoff = stored end
local expiresAt = tonumber(ARGV[2])
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 then
  expiresAt = math.max(expiresAt, tonumber(redis.call('TIME')[1]) + ttl)
end
expiresAt = string.format('%d', expiresAt)
redis.call('SET', KEYS[1], cutoff, 'EXAT', expiresAt)
redis.call('PUBLISH', ARGV[3], '["user",' .. ARGV[4] .. ',' .. cutoff .. ',' .. expiresAt .. ']')
return 1
`;

/**
 * The one method the Redis store needs of a client; an `ioredis` client has
 * it.
 */
export interface RedisCommandClient {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** One revocation, as the feed announces it and a snapshot reads it. */
export type RevocationEntry =
  | {
      readonly kind: 'token';
      readonly userId: number;
      readonly tokenId: string;
      readonly issuedAt: number | undefined;
      readonly expiresAt: number;
    }
  | {
      readonly kind: 'user';
      readonly userId: number;
      readonly revokedAt: number;
      readonly expiresAt: number;
    };

/**
 * Revocations in Redis, shared by every instance of the application: a key
 * per revoked token and per user revoked all at once, each expiring
 * (`EXAT`) when the tokens it covers expire. A check is one `MGET`.
 *
 * Every write also publishes the revocation on the feed channel
 * (`<keyPrefix>feed:<database>`), in the same script, so that the
 * instances that keep a mirror (`MirroredRedisRevocationStore`) hear of it.
 *
 * Both keys of a user carry the hash tag `{user:<id>}`
 * (`<keyPrefix>{user:42}:cutoff`, `<keyPrefix>{user:42}:token:<tokenId>`),
 * so that a Redis Cluster keeps them in one slot and answers the `MGET`
 * instead of refusing it with `CROSSSLOT`. A `keyPrefix` with a hash tag of
 * its own (`app{jwt}:`) puts every key in that tag's slot instead; one with
 * an empty tag (`{}`) disables hash tags and so does not work on a cluster.
 *
 * @see https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags
 */
export class RedisRevocationStore implements RevocationStore {
  /**
   * The channel every write is announced on: `<keyPrefix>feed:<database>`,
   * as pub/sub spans every database of a server.
   */
  readonly channel: string;

  constructor(
    private readonly client: RedisCommandClient,
    private readonly keyPrefix: string,
  ) {
    const { db } = (client as { options?: { db?: unknown } }).options ?? {};
    this.channel = `${keyPrefix}feed:${Number.isSafeInteger(db) ? String(db) : '0'}`;
  }

  async revokeToken(
    tokenId: string,
    userId: number,
    issuedAt: number | undefined,
    expiresAt: number,
  ): Promise<void> {
    const entry = JSON.stringify([
      'token',
      userId,
      tokenId,
      issuedAt ?? null,
      expiresAt,
    ]);
    await this.client.call(
      'EVAL',
      REVOKE_TOKEN,
      1,
      this.tokenKey(tokenId, userId),
      issuedAt === undefined ? '' : String(issuedAt),
      expiresAt,
      this.channel,
      entry,
    );
  }

  async revokeUser(
    userId: number,
    revokedAt: number,
    expiresAt: number,
  ): Promise<void> {
    // Neither the cutoff nor the expiry ever moves back, whoever writes last.
    await this.client.call(
      'EVAL',
      REVOKE_USER,
      1,
      this.userKey(userId),
      revokedAt,
      expiresAt,
      this.channel,
      userId,
    );
  }

  async lookup(tokenId: string, userId: number): Promise<RevocationState> {
    const values = (await this.client.call(
      'MGET',
      this.tokenKey(tokenId, userId),
      this.userKey(userId),
    )) as [string | null, string | null] | undefined;
    const userRevokedAt = values?.[1] == null ? undefined : Number(values[1]);
    return {
      tokenRevoked: values?.[0] != null,
      userRevokedAt: Number.isFinite(userRevokedAt) ? userRevokedAt : undefined,
    };
  }

  /**
   * Every unexpired revocation held on `node` (a server: each master of a
   * cluster in turn), in batches, by `SCAN`: one that is written during the
   * scan may or may not be among them.
   */
  async *entries(
    node: RedisCommandClient = this.client,
  ): AsyncGenerator<RevocationEntry[]> {
    const pattern = `${escapeGlob(this.keyPrefix)}{user:*}:*`;
    let cursor = '0';
    do {
      const [next, keys] = (await node.call(
        'SCAN',
        cursor,
        'MATCH',
        pattern,
        'COUNT',
        1000,
      )) as [string, string[]];
      cursor = next;
      const read = await Promise.all(
        keys.map(async (key) => {
          const [value, ttl] = (await Promise.all([
            node.call('GET', key),
            node.call('PTTL', key),
          ])) as [string | null, number];
          return this.entryOf(key, value, ttl);
        }),
      );
      yield read.filter((entry) => entry !== undefined);
    } while (cursor !== '0');
  }

  /** A key read back as the revocation it records; `undefined` for one of no use. */
  private entryOf(
    key: string,
    value: string | null,
    ttl: number,
  ): RevocationEntry | undefined {
    // Gone since the scan (-2), or never given an expiry (-1): not ours.
    if (value === null || ttl < 0) return undefined;
    const match = KEY.exec(key.slice(this.keyPrefix.length));
    if (match === null) return undefined;
    const userId = Number(match[1]);
    const expiresAt = Math.ceil((Date.now() + ttl) / 1000);
    if (match[2] === undefined) {
      const revokedAt = Number(value);
      return Number.isFinite(revokedAt)
        ? { kind: 'user', userId, revokedAt, expiresAt }
        : undefined;
    }
    const issuedAt = value === '' ? undefined : Number(value);
    return {
      kind: 'token',
      userId,
      tokenId: match[2],
      issuedAt: Number.isFinite(issuedAt) ? issuedAt : undefined,
      expiresAt,
    };
  }

  private tokenKey(tokenId: string, userId: number): string {
    return `${this.userSlot(userId)}:token:${tokenId}`;
  }

  private userKey(userId: number): string {
    return `${this.userSlot(userId)}:cutoff`;
  }

  /** What every key of a user starts with, up to and including its hash tag. */
  private userSlot(userId: number): string {
    return `${this.keyPrefix}{user:${userId}}`;
  }
}

/** A key less its prefix: the user, then the token id, absent for a cutoff. */
const KEY = /^\{user:(0|[1-9]\d{0,15})\}:(?:cutoff|token:([\s\S]*))$/;

/** `text` as a `SCAN MATCH` pattern that matches only itself. */
const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * A feed message read back as the revocation it announces; `undefined` for
 * anything else.
 */
export function parseFeedEntry(message: string): RevocationEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  const [kind, userId] = value as unknown[];
  if (!Number.isSafeInteger(userId) || (userId as number) < 0) return undefined;
  if (kind === 'token' && value.length === 5) {
    const [, , tokenId, issuedAt, expiresAt] = value as unknown[];
    if (
      typeof tokenId === 'string' &&
      (issuedAt === null || Number.isFinite(issuedAt)) &&
      Number.isFinite(expiresAt)
    ) {
      return {
        kind,
        userId: userId as number,
        tokenId,
        issuedAt: issuedAt === null ? undefined : (issuedAt as number),
        expiresAt: expiresAt as number,
      };
    }
  }
  if (kind === 'user' && value.length === 4) {
    const [, , revokedAt, expiresAt] = value as unknown[];
    if (Number.isFinite(revokedAt) && Number.isFinite(expiresAt)) {
      return {
        kind,
        userId: userId as number,
        revokedAt: revokedAt as number,
        expiresAt: expiresAt as number,
      };
    }
  }
  return undefined;
}
