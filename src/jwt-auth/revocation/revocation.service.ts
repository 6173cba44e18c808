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
    let state: RevocationState;
    try {
      state = await this.withinTimeout(
        this.owned.store.lookup(user.tokenId, user.userId),
      );
    } catch (error) {
      if (this.options.revocation.failOpen) {
        this.logger.warn(
          'Revocation store unavailable: letting a token through (revocation.failOpen)',
        );
        return;
      }
      throw error instanceof RevocationUnavailableError
        ? error
        : new RevocationUnavailableError('The revocation store failed', {
            cause: error,
          });
    }
    const issuedAt =
      typeof user.claims.iat === 'number' ? user.claims.iat : undefined;
    if (
      state.tokenRevoked ||
      // A token without iat cannot show it came after the cutoff.
      (state.userRevokedAt !== undefined &&
        (issuedAt === undefined || issuedAt <= state.userRevokedAt))
    ) {
      throw new InvalidTokenError('token_revoked');
    }
  }

  /** Revokes one verified token until it expires. */
  async revokeToken(user: AuthenticatedUser): Promise<void> {
    await this.withinTimeout(
      this.owned.store.revokeToken(user.tokenId, user.claims.exp),
    );
  }

  /** Revokes every token of a user issued until now, for as long as the longest can live. */
  async revokeUser(
    userId: number,
    revokedAt: number,
    maxLifetime: number,
  ): Promise<void> {
    await this.withinTimeout(
      this.owned.store.revokeUser(
        userId,
        revokedAt,
        revokedAt + maxLifetime + 1,
      ),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.owned.close?.();
  }

  private withinTimeout<T>(answer: T | Promise<T>): T | Promise<T> {
    if (!(answer instanceof Promise)) return answer;
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
