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
  disconnect(reconnect?: boolean): void;
}

export interface MirroredRedisRevocationStoreOptions {
  /** Prefix of every key, and of the feed channel. */
  readonly keyPrefix: string;
  /** The servers to read a snapshot from: every master of a cluster. @default [client] */
  readonly nodes?: () => readonly RedisCommandClient[];
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
 * than `maxStaleness`, from the moment the feed connection drops until the
 * mirror is in step again (subscribed, snapshot read, `PING` answered), and
 * while a revocation does not fit in the mirror. A `PING` left unanswered
 * twice that long also drops the connection, so that a silent one is
 * replaced.
 *
 * The mirror is a `MemoryRevocationStore`: bounded by `maxEntries`, a user
 * with many revoked tokens folded into a cutoff.
 */
export class MirroredRedisRevocationStore implements RevocationStore {
  private readonly logger = new Logger('JwtAuth');
  private readonly redis: RedisRevocationStore;
  private readonly mirror: MemoryRevocationStore;
  /** Whether the mirror has been in step since the feed connection was last ready. */
  private inStep = false;
  /** When the last `PING` that proved the mirror current was sent, in milliseconds. */
  private provenAt = Number.NEGATIVE_INFINITY;
  /** Counts losses of step: an attempt or a `PING` of an earlier one proves nothing. */
  private generation = 0;
  /** When the `PING` awaiting its answer was sent. */
  private pingSentAt: number | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  /** Why the mirror is out of step, once logged; `undefined` while in step. */
  private outOfStep: string | undefined = 'starting';
  private closed = false;
  private readonly waiting = new Set<() => void>();

  constructor(
    client: RedisCommandClient,
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
    return this.lookupNow(tokenId, userId);
  }

  /**
   * `lookup()`'s answer, at once.
   *
   * @throws RevocationUnavailableError while the mirror may lack a revocation.
   */
  lookupNow(tokenId: string, userId: number): RevocationState {
    if (
      !this.inStep ||
      Date.now() - this.provenAt > this.options.maxStaleness
    ) {
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
    const generation = ++this.generation;
    this.inStep = false;
    clearTimeout(this.retry);
    try {
      await this.feed.subscribe(this.redis.channel);
      const nodes = this.options.nodes?.() ?? [undefined];
      for (const node of nodes) {
        for await (const entries of this.redis.entries(node)) {
          if (generation !== this.generation) return;
          for (const entry of entries) this.apply(entry);
        }
      }
      const sentAt = Date.now();
      await this.feed.ping();
      if (generation !== this.generation || this.closed) return;
      this.inStep = true;
      this.provenAt = sentAt;
      this.failures = 0;
      if (this.outOfStep !== 'starting') {
        this.logger.log('Revocation mirror in step with Redis again');
      }
      this.outOfStep = undefined;
      for (const done of [...this.waiting]) done();
    } catch (error) {
      if (generation !== this.generation || this.closed) return;
      this.lose(`getting in step failed: ${(error as Error).message}`);
      this.retryLater();
    }
  }

  /** Tries to get in step again after a delay that grows with each failure. */
  private retryLater(): void {
    clearTimeout(this.retry);
    const delay = Math.min(MAX_RETRY_DELAY, 100 * 2 ** this.failures++);
    this.retry = setTimeout(() => {
      if (this.feed.status === 'ready') void this.getInStep();
    }, delay).unref();
  }

  /**
   * Proves the mirror current, or drops a feed connection that stays
   * silent. Checks fail from `maxStaleness` on anyway; the connection is
   * dropped only at twice that, so that an event loop held up for a moment
   * (the answer waiting, unread) does not cost a new snapshot.
   */
  private beat(): void {
    if (!this.inStep || this.closed) return;
    const now = Date.now();
    if (this.pingSentAt !== undefined) {
      if (now - this.pingSentAt > 2 * this.options.maxStaleness) {
        this.lose('the feed did not answer a PING in time');
        this.feed.disconnect(true);
      }
      return;
    }
    const generation = this.generation;
    this.pingSentAt = now;
    this.feed.ping().then(
      () => {
        if (generation === this.generation) this.provenAt = now;
        this.pingSentAt = undefined;
      },
      () => {
        this.pingSentAt = undefined;
      },
    );
  }

  private receive(message: string): void {
    const entry = parseFeedEntry(message);
    if (entry === undefined) {
      this.logger.warn(
        `Revocation feed: ignored a message that is not a revocation (${message.length} characters)`,
      );
      return;
    }
    this.apply(entry);
  }

  /** Puts a revocation in the mirror; one that does not fit takes the mirror out of step. */
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
    } catch {
      // In step again once expiries make room: the snapshot holds it.
      this.lose('the mirror is full: raise revocation.maxEntries');
      this.retryLater();
    }
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
