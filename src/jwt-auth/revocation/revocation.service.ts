import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InvalidTokenError } from '../errors/invalid-token.error.js';
import { RevocationUnavailableError } from '../errors/revocation-unavailable.error.js';
import type { AuthenticatedUser } from '../interfaces/authenticated-user.interface.js';
import {
  InjectJwtAuthOptions,
  type ResolvedJwtAuthOptions,
} from '../jwt-auth.options.js';
import type {
  RevocationState,
  RevocationStore,
} from './revocation-store.interface.js';

/** Injection token of the module's `RevocationStore`. */
export const REVOCATION_STORE = Symbol('REVOCATION_STORE');

/** A store, and how to let go of it when the application stops. */
export interface OwnedRevocationStore {
  readonly store: RevocationStore;
  /** Closes what the module opened (a Redis connection made from a URL). */
  readonly close?: () => Promise<void>;
  /**
   * The store's answer at once, for a store in this process's memory: a
   * check then waits for neither a timer nor a promise, which every guarded
   * request would pay for. `undefined` when the store must be asked
   * (`store.lookup()`) this time.
   */
  readonly lookupNow?: (
    tokenId: string,
    userId: number,
  ) => RevocationState | undefined;
}

/**
 * Revocation as the rest of the module sees it: checks bounded in time,
 * with the module's choice when the store cannot answer.
 */
@Injectable()
export class RevocationService implements OnApplicationShutdown {
  private readonly logger = new Logger('JwtAuth');

  constructor(
    @Inject(REVOCATION_STORE) private readonly owned: OwnedRevocationStore,
    @InjectJwtAuthOptions() private readonly options: ResolvedJwtAuthOptions,
  ) {}

  /**
   * Refuses a revoked token with `token_revoked`. When the store fails or
   * is slower than `revocation.timeout`: `RevocationUnavailableError`, or,
   * with `revocation.failOpen`, a logged pass.
   */
  async assertNotRevoked(user: AuthenticatedUser): Promise<void> {
    if (!this.assertedNow(user)) return this.askStore(user);
  }

  /**
   * `assertNotRevoked()` at once, with a store in this process's memory:
   * `true` when it checked the token, `false` when the store answers only
   * in a promise (then ask `assertNotRevoked()`).
   *
   * @throws as `assertNotRevoked()`.
   */
  assertedNow(user: AuthenticatedUser): boolean {
    const { lookupNow } = this.owned;
    if (lookupNow === undefined) return false;
    let state: RevocationState | undefined;
    try {
      state = lookupNow(user.tokenId, user.userId);
    } catch (error) {
      this.unanswered(error);
      return true;
    }
    if (state === undefined) return false;
    assertState(user, state);
    return true;
  }

  /** `assertNotRevoked()` with a store that answers in a promise, in time. */
  private async askStore(user: AuthenticatedUser): Promise<void> {
    let state: RevocationState;
    try {
      state = await this.withinTimeout(
        attempt(() => this.owned.store.lookup(user.tokenId, user.userId)),
      );
    } catch (error) {
      this.unanswered(error);
      return;
    }
    assertState(user, state);
  }

  /** When the store could not answer: fail closed, or open when so configured. */
  private unanswered(error: unknown): void {
    if (this.options.revocation.failOpen) {
      this.logger.warn(
        `Revocation store unavailable (${reasonOf(error)}): letting a token through (revocation.failOpen)`,
      );
      return;
    }
    throw error instanceof RevocationUnavailableError
      ? error
      : new RevocationUnavailableError(
          `The revocation store failed: ${reasonOf(error)}`,
          { cause: error },
        );
  }

  /** Revokes one verified token for as long as it could be accepted. */
  async revokeToken(user: AuthenticatedUser): Promise<void> {
    const until = Math.ceil(user.claims.exp) + this.options.clockTolerance;
    const { iat } = user.claims;
    const issuedAt = typeof iat === 'number' ? iat : undefined;
    await this.recorded(() =>
      this.owned.store.revokeToken(user.tokenId, user.userId, issuedAt, until),
    );
  }

  /**
   * Revokes every token of a user issued until the end of the current
   * second, for as long as the longest of them could be accepted: no token
   * lives longer than `expiresIn` (the verifier refuses any that would).
   * The cutoff is that second, which the check compares whole.
   */
  async revokeUser(userId: number): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    const { expiresIn, clockTolerance } = this.options;
    const until = now + expiresIn + 2 * clockTolerance + 1;
    await this.recorded(() => this.owned.store.revokeUser(userId, now, until));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.owned.close?.();
  }

  /** Waits for a write, within the timeout; any failure is the store's. */
  private async recorded(write: () => Promise<void>): Promise<void> {
    try {
      await this.withinTimeout(attempt(write));
    } catch (error) {
      throw error instanceof RevocationUnavailableError
        ? error
        : new RevocationUnavailableError(
            `The revocation store failed to record a revocation: ${reasonOf(error)}`,
            { cause: error },
          );
    }
  }

  private withinTimeout<T>(answer: Promise<T>): Promise<T> {
    const timeout = this.options.revocation.timeout;
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RevocationUnavailableError(
              `The revocation store did not answer within ${timeout} ms`,
            ),
          ),
        timeout,
      );
    });
    return Promise.race([answer, expiry]).finally(() => clearTimeout(timer));
  }
}

/**
 * Throws `token_revoked` when the store's answer covers the token. A cutoff
 * covers whole seconds: `revokeUser` records the second it happens in, and
 * a token issued later in that second (a fractional `iat`) is refused too,
 * as is one without `iat`, which cannot show it came after the cutoff.
 */
function assertState(user: AuthenticatedUser, state: RevocationState): void {
  const issuedAt =
    typeof user.claims.iat === 'number' ? user.claims.iat : undefined;
  if (
    state.tokenRevoked ||
    (state.userRevokedAt !== undefined &&
      (issuedAt === undefined || Math.floor(issuedAt) <= state.userRevokedAt))
  ) {
    throw new InvalidTokenError('token_revoked');
  }
}

/**
 * Calls the store, as a promise even when a store of the application's own
 * throws at once instead of rejecting, so that one path handles every
 * failure.
 */
async function attempt<T>(call: () => Promise<T>): Promise<T> {
  return call();
}

/** The longest store error text put in a log line or an error message. */
const MAX_REASON_LENGTH = 200;

/** What a compact JWS looks like: three base64url parts, the first two long. */
const COMPACT_JWS = /[\w-]{10,}\.[\w-]{10,}\.[\w-]*/g;

/**
 * The store's error as one short line for a log or an error message, so
 * that an operator sees why the store failed (`CROSSSLOT ...`, `READONLY
 * ...`). The store is only ever given token ids, but one of the
 * application's own may put anything into its errors: whatever looks like a
 * token is masked, and control characters cannot forge log lines.
 */
function reasonOf(error: unknown): string {
  const text =
    error instanceof Error
      ? error.message
      : typeof error === 'string'
        ? error
        : `a rejection with ${error === null ? 'null' : typeof error}`;
  const line = text
    .replace(COMPACT_JWS, '[token]')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .trim();
  if (line === '') return 'no message';
  return line.length > MAX_REASON_LENGTH
    ? `${line.slice(0, MAX_REASON_LENGTH)}...`
    : line;
}
