import {
  ForbiddenException,
  Injectable,
  Logger,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { bearerChallenge, type RefusalReason } from './bearer-challenge.js';
import {
  InjectJwtAuthOptions,
  type ResolvedJwtAuthOptions,
} from './jwt-auth.options.js';

/** How long a client should wait before retrying when revocation cannot be checked, in seconds. */
const RETRY_AFTER_SECONDS = 1;

/** The body of every refusal, as the seed answered it. */
export const REFUSAL_MESSAGE = 'Could not validate credentials';

/** The body of a refusal for want of a scope. */
export const INSUFFICIENT_SCOPE_MESSAGE = 'Insufficient scope';

/**
 * Turns a refusal into the one response the module gives: 401, the seed's
 * body and an RFC 6750 challenge (403 and `insufficient_scope` for a valid
 * token that lacks a required scope). Logs the reason code at debug level, and
 * nothing else: no token text, no claim values.
 */
@Injectable()
export class BearerChallengeService {
  private readonly logger = new Logger('JwtAuth');

  constructor(
    @InjectJwtAuthOptions() private readonly options: ResolvedJwtAuthOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /**
   * Sets `WWW-Authenticate` on `response` and returns the exception to throw.
   *
   * @param response the platform response (Express or Fastify).
   */
  refuse(response: unknown, reason: RefusalReason): UnauthorizedException {
    this.logger.debug(`Refused: ${reason}`);
    this.adapterHost.httpAdapter.setHeader(
      response,
      'WWW-Authenticate',
      bearerChallenge(this.options.realm, reason),
    );
    return new UnauthorizedException({
      statusCode: 401,
      message: REFUSAL_MESSAGE,
      error: 'Unauthorized',
    });
  }

  /**
   * Sets the RFC 6750 3.1 `insufficient_scope` challenge, naming the
   * required scopes, on `response` and returns the 403 to throw when a
   * valid token does not grant every scope a route requires.
   */
  forbid(response: unknown, scopes: readonly string[]): ForbiddenException {
    this.logger.debug('Refused: insufficient_scope');
    this.adapterHost.httpAdapter.setHeader(
      response,
      'WWW-Authenticate',
      bearerChallenge(this.options.realm, 'insufficient_scope', scopes),
    );
    return new ForbiddenException({
      statusCode: 403,
      message: INSUFFICIENT_SCOPE_MESSAGE,
      error: 'Forbidden',
    });
  }

  /**
   * Sets `Retry-After` on `response` and returns the 503 to throw when a
   * token's revocation status cannot be checked (fail closed).
   */
  unavailable(response: unknown): ServiceUnavailableException {
    this.logger.debug('Refused: revocation_unavailable');
    this.adapterHost.httpAdapter.setHeader(
      response,
      'Retry-After',
      String(RETRY_AFTER_SECONDS),
    );
    return new ServiceUnavailableException({
      statusCode: 503,
      message: 'The token revocation status is unavailable',
      error: 'Service Unavailable',
    });
  }
}
