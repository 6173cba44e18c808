import { Logger } from '@nestjs/common';
import { RevocationUnavailableError } from '../errors/revocation-unavailable.error.js';
import { MemoryRevocationStore } from './memory-revocation.store.js';
import {
  parseFeedEntry,
  RedisRevocationStore,
  type RedisCommandClient,
  type RevocationEntry,
} from './redis-revocation.store.js';
import type {
  RevocationState,
  RevocationStore,
} from './revocation-store.interface.js';

/**
 * A Redis connection that listens to the feed: what the mirror needs of an
 * `ioredis` client, which it puts in subscriber mode.
 */
export interface RedisFeedConnection {
  readonly status: string;
  subscribe(channel: string): Promise<unknown>;
  ping(): Promise<unknown>;
  on(
    event: 'message',
    listener: (channel: string, message: string) => void,
  ): unknown;
  on(event: 'ready' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  disconnect(reconnect?: boolean): void;
}

export interface MirroredRedisRevocationStoreOptions {
  /** Prefix of every key, and of the feed channel. */
  readonly keyPrefix: string;
  /**
   * A cluster client's connections to its masters, to read the snapshot
   * from the master itself. @default the client
   */
  readonly nodes?: () => readonly (RedisCommandClient & {
    readonly options: { readonly host?: string; readonly port?: number };
  })[];
  /** Capacity of the mirror, in entries (revoked tokens plus users' cutoffs). */
  readonly maxEntries: number;
  /**
   * How old, in milliseconds, the last proof that the mirror holds every
   * revocation may be before lookups fail as unavailable.
   */
  readonly maxStaleness: number;
}

/** The longest wait between two attempts to get in step, in milliseconds. */
const MAX_RETRY_DELAY = 2000;

/** How long a mirror set aside waits before trying again, in milliseconds. */
const SET_ASIDE_RETRY_DELAY = 10_000;

/** A monotonic clock, in milliseconds: a wall clock set back must not extend a proof. */
const clock = (): number => performance.now();

/**
 * Revocations in Redis, looked up in this process's memory: each instance
 * keeps a mirror of the unexpired revocations, reads it from Redis when it
 * starts, and follows every later write through the feed, a Redis pub/sub
 * channel that `RedisRevocationStore` publishes to in the same script as it
 * writes. A check is then a lookup in a `Map`, with no round trip.
 *
 * Revocations only ever add up (a token revoked, a cutoff that moves
 * forward), so the order in which the snapshot and the feed deliver them
 * does not matter: the mirror subscribes first, then scans, and applies
 * both as they come.
 *
 * It never answers from a mirror that may lack a revocation. It sends a
 * `PING` down the feed connection every quarter of `maxStaleness`: Redis
 * answers it after every message published before it, so the answer
 * proves the mirror holds every revocation written until the `PING` was
 * sent. A lookup fails with `RevocationUnavailableError` (503 with
 * `Retry-After`, unless `revocation.failOpen`) while that proof is older
 * than `maxStaleness`, and from the moment the feed connection drops until
 * the mirror is in step again (subscribed, snapshot read, `PING`
 * answered). A `PING` left unanswered twice that long, or an attempt to
 * get in step that hangs as long, drops the connection, so that a silent
 * one is replaced. A message on the channel that is not a revocation
 * counts as a lost one: the mirror reads Redis again.
 *
 * The mirror is a `MemoryRevocationStore`: bounded by `maxEntries`, a user
 * with many revoked tokens folded into a cutoff. When revocations do not
 * fit in it, lookups ask Redis (`lookup()`, one `MGET`) until a later
 * snapshot fits again.
 *
 * It follows one Redis server. On a cluster of more than one master, a
 * `PUBLISH` on another master reaches this one's subscribers over the
 * cluster bus, which a `PING` here does not vouch for: lookups then ask
 * Redis, as while the mirror is full.
 */
export class MirroredRedisRevocationStore implements RevocationStore {
  private readonly logger = new Logger('JwtAuth');
  private readonly redis: RedisRevocationStore;
  private readonly mirror: MemoryRevocationStore;
  /** Whether the mirror has been in step since the feed connection was last ready. */
  private inStep = false;
  /** Why lookups ask Redis rather than the mirror, if they do. */
  private askRedis: 'full' | 'cluster' | undefined;
  /** When the last `PING` that proved the mirror current was sent (`clock()`). */
  private provenAt = Number.NEGATIVE_INFINITY;
  /** Counts losses of step: an attempt or a `PING` of an earlier one proves nothing. */
  private generation = 0;
  /** When the running attempt to get in step began (`clock()`). */
  private attemptStartedAt: number | undefined;
  /** When the `PING` awaiting its answer was sent (`clock()`). */
  private pingSentAt: number | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  /** Why the mirror is out of step, once logged; `undefined` while in step. */
  private outOfStep: string | undefined = 'starting';
  private closed = false;
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly client: RedisCommandClient,
    private readonly feed: RedisFeedConnection,
    private readonly options: MirroredRedisRevocationStoreOptions,
  ) {
    this.redis = new RedisRevocationStore(client, options.keyPrefix);
    this.mirror = new MemoryRevocationStore(options.maxEntries);
    feed.on('message', (channel, message) => {
      if (channel === this.redis.channel) this.receive(message);
    });
    feed.on('close', () => this.lose('the feed connection closed'));
    feed.on('ready', () => void this.getInStep());
    // Reported as the loss of step that follows; ioredis would print it.
    feed.on('error', () => undefined);
    this.heartbeat = setInterval(
      () => this.beat(),
      Math.max(1, Math.floor(options.maxStaleness / 4)),
    ).unref();
    if (feed.status === 'ready') void this.getInStep();
  }

  async revokeToken(
    tokenId: string,
    userId: number,
    issuedAt: number | undefined,
    expiresAt: number,
  ): Promise<void> {
    await this.redis.revokeToken(tokenId, userId, issuedAt, expiresAt);
    // Seen here at once, before the feed brings it back.
    this.apply({ kind: 'token', userId, tokenId, issuedAt, expiresAt });
  }

  async revokeUser(
    userId: number,
    revokedAt: number,
    expiresAt: number,
  ): Promise<void> {
    await this.redis.revokeUser(userId, revokedAt, expiresAt);
    this.apply({ kind: 'user', userId, revokedAt, expiresAt });
  }

  async lookup(tokenId: string, userId: number): Promise<RevocationState> {
    return (
      this.lookupNow(tokenId, userId) ?? this.redis.lookup(tokenId, userId)
    );
  }

  /**
   * `lookup()`'s answer at once, from the mirror; `undefined` while
   * revocations do not fit in it (then `lookup()` asks Redis).
   *
   * @throws RevocationUnavailableError while the mirror may lack a revocation.
   */
  lookupNow(tokenId: string, userId: number): RevocationState | undefined {
    if (this.askRedis !== undefined) return undefined;
    if (!this.inStep || clock() - this.provenAt > this.options.maxStaleness) {
      throw new RevocationUnavailableError(
        `The revocation mirror is not in step with Redis (${this.outOfStep ?? 'no answer from the feed'})`,
      );
    }
    return this.mirror.lookupNow(tokenId, userId);
  }

  /** Resolves once the mirror is in step, or after `timeout` ms; `true` when in step. */
  ready(timeout: number): Promise<boolean> {
    if (this.inStep) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve(this.inStep);
      };
      const timer = setTimeout(done, timeout).unref();
      this.waiting.add(done);
    });
  }

  /** Stops following the feed and closes its connection. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    this.feed.disconnect();
    for (const done of [...this.waiting]) done();
  }

  /**
   * Subscribes, reads the snapshot, and proves with a `PING` that nothing
   * published since is missing; tries again later on failure.
   */
  private async getInStep(): Promise<void> {
    if (this.closed) return;
    const generation = ++this.generation;
    this.inStep = false;
    this.pingSentAt = undefined;
    this.attemptStartedAt = clock();
    clearTimeout(this.retry);
    try {
      await this.feed.subscribe(this.redis.channel);
      const masters = await this.clusterMasters();
      if (generation !== this.generation) return;
      if (masters !== undefined && masters.length > 1) {
        this.askRedisInstead(
          'cluster',
          `the Redis Cluster has ${masters.length} masters, and the mirror follows one`,
        );
        return;
      }
      for await (const entries of this.redis.entries(
        this.snapshotNode(masters?.[0]),
      )) {
        if (generation !== this.generation) return;
        for (const entry of entries) this.apply(entry);
      }
      if (generation !== this.generation) return;
      const sentAt = clock();
      await this.feed.ping();
      if (generation !== this.generation || this.closed) return;
      this.inStep = true;
      this.askRedis = undefined;
      this.provenAt = sentAt;
      this.attemptStartedAt = undefined;
      this.failures = 0;
      if (this.outOfStep !== 'starting') {
        this.logger.log('Revocation mirror in step with Redis again');
      }
      this.outOfStep = undefined;
      for (const done of [...this.waiting]) done();
    } catch (error) {
      if (generation !== this.generation || this.closed) return;
      this.lose(`getting in step failed: ${reasonOf(error)}`);
      this.retryLater();
    }
  }

  /** Tries to get in step again after a delay that grows with each failure. */
  private retryLater(delay?: number): void {
    if (this.closed) return;
    clearTimeout(this.retry);
    const wait = delay ?? Math.min(MAX_RETRY_DELAY, 100 * 2 ** this.failures++);
    this.retry = setTimeout(() => {
      if (this.feed.status === 'ready') void this.getInStep();
    }, wait).unref();
  }

  /**
   * Proves the mirror current, or drops a feed connection that stays
   * silent. Checks fail from `maxStaleness` on anyway; the connection is
   * dropped only at twice that, so that an event loop held up for a moment
   * (the answer waiting, unread) does not cost a new snapshot.
   */
  private beat(): void {
    if (this.closed) return;
    const now = clock();
    const patience = 2 * this.options.maxStaleness;
    if (!this.inStep) {
      if (
        this.attemptStartedAt !== undefined &&
        now - this.attemptStartedAt > patience
      ) {
        this.attemptStartedAt = undefined;
        this.lose('getting in step took too long');
        this.feed.disconnect(true);
      }
      return;
    }
    if (this.pingSentAt !== undefined) {
      if (now - this.pingSentAt > patience) {
        this.lose('the feed did not answer a PING in time');
        this.feed.disconnect(true);
      }
      return;
    }
    const generation = this.generation;
    this.pingSentAt = now;
    const settled = () => {
      if (this.pingSentAt === now) this.pingSentAt = undefined;
    };
    this.feed.ping().then(() => {
      if (generation === this.generation) {
        this.provenAt = Math.max(this.provenAt, now);
      }
      settled();
    }, settled);
  }

  private receive(message: string): void {
    const entry = parseFeedEntry(message);
    if (entry !== undefined) {
      this.apply(entry);
      return;
    }
    // Perhaps a revocation in a form this version cannot read: only the
    // snapshot can tell.
    this.lose(
      `a message on the feed that is not a revocation (${message.length} characters)`,
    );
    this.retryLater(0);
  }

  /** Puts a revocation in the mirror; one that does not fit sends lookups to Redis. */
  private apply(entry: RevocationEntry): void {
    try {
      if (entry.kind === 'token') {
        this.mirror.revokeTokenNow(
          entry.tokenId,
          entry.userId,
          entry.issuedAt,
          entry.expiresAt,
        );
      } else {
        this.mirror.revokeUserNow(
          entry.userId,
          entry.revokedAt,
          entry.expiresAt,
        );
      }
    } catch (error) {
      if (!(error instanceof RevocationUnavailableError)) throw error;
      this.askRedisInstead(
        'full',
        'full: revocation.maxEntries users with unexpired revocations',
      );
    }
  }

  /**
   * Sends lookups to Redis, for as long as the mirror cannot hold what
   * Redis does: tries again from time to time (revocations expire, clusters
   * shrink).
   */
  private askRedisInstead(kind: 'full' | 'cluster', reason: string): void {
    if (this.askRedis !== kind) {
      this.logger.warn(
        `Revocation mirror set aside (${reason}): checks ask Redis until it can hold every revocation again`,
      );
    }
    this.askRedis = kind;
    this.generation++;
    this.inStep = false;
    this.attemptStartedAt = undefined;
    this.retryLater(SET_ASIDE_RETRY_DELAY);
  }

  /**
   * The masters (`host:port`) of the cluster this Redis belongs to, from
   * `CLUSTER SLOTS`; `undefined` for a server on its own.
   */
  private async clusterMasters(): Promise<string[] | undefined> {
    const info = String(await this.client.call('INFO', 'cluster'));
    if (!/^cluster_enabled:1\r?$/m.test(info)) return undefined;
    const slots = (await this.client.call('CLUSTER', 'SLOTS')) as [
      number,
      number,
      [string, number, ...unknown[]],
      ...unknown[],
    ][];
    return [...new Set(slots.map(([, , [host, port]]) => `${host}:${port}`))];
  }

  /** Where the snapshot is read: the cluster's master itself, when known. */
  private snapshotNode(
    master: string | undefined,
  ): RedisCommandClient | undefined {
    const { nodes } = this.options;
    if (nodes === undefined || master === undefined) return undefined;
    const node = nodes().find(
      ({ options }) => `${options.host}:${options.port}` === master,
    );
    if (node === undefined) {
      throw new Error(`no connection to the cluster's master ${master} yet`);
    }
    return node;
  }

  /** Stops answering until in step again, logging the first reason. */
  private lose(reason: string): void {
    this.generation++;
    this.inStep = false;
    this.pingSentAt = undefined;
    if (this.closed || this.outOfStep !== undefined) return;
    this.outOfStep = reason;
    this.logger.warn(
      `Revocation mirror out of step with Redis (${reason}): guarded requests get 503 until it is in step again`,
    );
  }
}

const reasonOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
