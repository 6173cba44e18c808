import { Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { bearerChallenge, type RefusalReason } from './bearer-challenge.js';
import {
  InjectJwtAuthOptions,
  type ResolvedJwtAuthOptions,
} from './jwt-auth.options.js';

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
}
