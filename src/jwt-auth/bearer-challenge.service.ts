import {
  ForbiddenException,
  HttpException,
  Injectable,
  Logger,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { bearerChallenge, type RefusalReason } from './bearer-challenge.js';
import { InvalidTokenError } from './errors/invalid-token.error.js';
import { KeySetUnavailableError } from './errors/key-set-unavailable.error.js';
import { RevocationUnavailableError } from './errors/revocation-unavailable.error.js';
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
 * A response to set headers on: Node's (Express's is one), or Fastify's
 * reply, which holds Node's as `raw`.
 */
type HeaderTarget =
  | { readonly setHeader: (name: string, value: string) => unknown }
  | {
      readonly raw: {
        readonly setHeader: (name: string, value: string) => unknown;
      };
    };

/**
 * The one place that turns an authentication failure into the HTTP answer
 * the module gives: 401, the seed's body and an RFC 6750 challenge (403 and
 * `insufficient_scope` for a valid token that lacks a required scope; 503
 * and `Retry-After` when revocation cannot be checked). Logs the reason
 * code at debug level, and nothing else: no token text, no claim values.
 */
@Injectable()
export class BearerChallengeService {
  private readonly logger = new Logger('JwtAuth');

  constructor(
    @InjectJwtAuthOptions() private readonly options: ResolvedJwtAuthOptions,
  ) {}

  /**
   * The exception to throw for an error met while authenticating a request,
   * with its headers set on `response`: an `InvalidTokenError` is refused
   * for its code, a `RevocationUnavailableError` or a
   * `KeySetUnavailableError` is a 503, an
   * `HttpException` stands, and anything else is a fault of ours, not of
   * the token: refused (fail closed), and logged by its name.
   */
  answer(response: unknown, error: unknown): HttpException {
    if (error instanceof InvalidTokenError) {
      return this.refuse(response, error.code);
    }
    if (error instanceof RevocationUnavailableError) {
      return this.unavailable(response);
    }
    if (error instanceof KeySetUnavailableError) {
      return this.unavailable(response, error);
    }
    if (error instanceof HttpException) return error;
    this.logger.error(
      `Token verification failed unexpectedly: ${error instanceof Error ? error.name : typeof error}`,
    );
    return this.refuse(response, 'token_malformed');
  }

  /**
   * Sets `WWW-Authenticate` on `response` and returns the exception to throw.
   *
   * @param response the platform response (Express's, Fastify's reply, or
   *   Node's).
   */
  refuse(response: unknown, reason: RefusalReason): UnauthorizedException {
    this.logger.debug(`Refused: ${reason}`);
    setHeader(
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
    setHeader(
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
   * token's revocation status cannot be checked, or (given that error) the
   * identity provider's keys cannot be fetched: fail closed.
   */
  unavailable(
    response: unknown,
    cause?: KeySetUnavailableError,
  ): ServiceUnavailableException {
    const code = cause?.code ?? 'revocation_unavailable';
    this.logger.debug(`Refused: ${code}`);
    setHeader(response, 'Retry-After', String(RETRY_AFTER_SECONDS));
    return new ServiceUnavailableException({
      statusCode: 503,
      message:
        cause === undefined
          ? 'The token revocation status is unavailable'
          : 'The token signing keys are unavailable',
      error: 'Service Unavailable',
    });
  }
}

function setHeader(response: unknown, name: string, value: string): void {
  const target = response as Partial<HeaderTarget> | undefined;
  if (target === undefined || target === null) return;
  if ('raw' in target && target.raw !== undefined) {
    target.raw.setHeader(name, value);
  } else if ('setHeader' in target && target.setHeader !== undefined) {
    target.setHeader(name, value);
  }
}
