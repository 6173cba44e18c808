import type {
  RevocationState,
  RevocationStore,
} from './revocation-store.interface.js';

/** Sets a user's cutoff to the later of the stored and the given one, expiring at the later expiry. */
const KEEP_LATEST_CUTOFF = `
local cutoff = math.max(tonumber(redis.call('GET', KEYS[1]) or ARGV[1]), tonumber(ARGV[1]))
local expiresAt = tonumber(ARGV[2])
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 then
  expiresAt = math.max(expiresAt, tonumber(redis.call('TIME')[1]) + ttl)
end
redis.call('SET', KEYS[1], cutoff, 'EXAT', expiresAt)
return 1
`;

/**
 * The one method the Redis store needs of a client; an `ioredis` client has
 * it.
 */
export interface RedisCommandClient {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/**
 * Revocations in Redis, shared by every instance of the application: a key
 * per revoked token and per user revoked all at once, each expiring
 * (`EXAT`) when the tokens it covers expire. A check is one `MGET`.
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
  constructor(
    private readonly client: RedisCommandClient,
    private readonly keyPrefix: string,
  ) {}

  async revokeToken(
    tokenId: string,
    userId: number,
    // Redis holds every revoked token: it never needs to fold them into a cutoff.
    _issuedAt: number | undefined,
    expiresAt: number,
  ): Promise<void> {
    await this.client.call(
      'SET',
      this.tokenKey(tokenId, userId),
      '1',
      'EXAT',
      expiresAt,
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
      KEEP_LATEST_CUTOFF,
      1,
      this.userKey(userId),
      revokedAt,
      expiresAt,
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
