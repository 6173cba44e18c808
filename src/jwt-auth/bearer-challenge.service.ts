import {
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

/**
 * Turns a refusal into the one response the module gives: 401, the seed's
 * body and an RFC 6750 challenge. Logs the reason code at debug level, and
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
