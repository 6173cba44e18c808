import { Injectable, Logger } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { Strategy } from 'passport-jwt';
import { BearerChallengeService } from './bearer-challenge.service.js';
import {
  extractBearerToken,
  type RequestWithHeaders,
} from './bearer-token.extractor.js';
import { InvalidTokenError } from './errors/invalid-token.error.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import { KeySetUnavailableError } from './errors/key-set-unavailable.error.js';
import type { VerificationKey } from './keys/key-ring.js';
import { linkResponse, responseOf } from './response-link.js';
import { RevocationService } from './revocation/revocation.service.js';
import { invalidTokenFrom, TokenVerifier } from './token.verifier.js';

/** The name `JwtStrategy` is registered under with Passport. */
export const JWT_AUTH_STRATEGY = 'jwt-auth';

/** Where `claim()` leaves the strategy that is to authenticate a request. */
const CLAIMED_BY = Symbol('jwt-auth:claimed-by');

interface ClaimableRequest extends RequestWithHeaders {
  [CLAIMED_BY]?: JwtStrategy;
}

/**
 * The strategy Passport holds under a name: what its own middleware, and so
 * `AuthGuard`, looks up for each request.
 */
const heldByPassport = (name: string): unknown =>
  (passport as unknown as { _strategy(name: string): unknown })._strategy(name);

/** Passport's own `error` action of one authentication. */
const PASSPORT_ERROR = Symbol('jwt-auth:passport-error');
/** The response one authentication answers on. */
const ANSWERED_ON = Symbol('jwt-auth:answered-on');
/** The token `JwtAuthGuard` read from the request, when it handed one over. */
const HANDED_TOKEN = Symbol('jwt-auth:handed-token');

/**
 * What Passport gives `JwtStrategy` for one request: an object of its own,
 * made from the strategy, that holds the request's actions.
 */
interface Authentication {
  [PASSPORT_ERROR]: (error: Error) => void;
  [ANSWERED_ON]: unknown;
  [HANDED_TOKEN]: string | null | undefined;
  readonly challenge: BearerChallengeService;
}

/**
 * passport-jwt's `jwtFromRequest`, called on the authentication's object:
 * the token the guard handed over, else the one read from the request.
 */
function tokenOf(
  this: Authentication | undefined,
  request: RequestWithHeaders,
): string | null {
  const handed = this?.[HANDED_TOKEN];
  return handed === undefined ? extractBearerToken(request) : handed;
}

/**
 * A request `JwtAuthGuard` has read the token of, and that token, until
 * Passport authenticates the request: the token is then not read again.
 */
interface Handover {
  request: object | undefined;
  token: string | null;
}

/**
 * The strategy's `fail`: passport-jwt fails a request with our pre-check's
 * refusal, with jsonwebtoken's, or, when it finds no token, with an Error of
 * its own. Each is answered as the module's 401 (a provider's keys out of
 * reach as its 503).
 */
function failWithRefusal(this: Authentication, info: unknown): void {
  const refusal = invalidTokenFrom(info);
  this[PASSPORT_ERROR](
    refusal instanceof InvalidTokenError ||
      refusal instanceof KeySetUnavailableError
      ? this.challenge.answer(this[ANSWERED_ON], refusal)
      : this.challenge.refuse(this[ANSWERED_ON], 'token_missing'),
  );
}

/** The strategy's `error`: answered as the module's refusal (401, or 503). */
function errorWithAnswer(this: Authentication, cause: Error): void {
  this[PASSPORT_ERROR](this.challenge.answer(this[ANSWERED_ON], cause));
}

/**
 * What Passport threw while answering a request whose key came in a
 * promise (a response already sent, say): nothing is left to answer it
 * with, so it is logged, by its name, rather than left an unhandled
 * rejection, which ends the process. (Had the key come at once, the guard
 * would have met the throw.)
 */
function answerFailed(error: unknown): void {
  new Logger('JwtAuth').error(
    `Answering a request failed: ${error instanceof Error ? error.name : typeof error}`,
  );
}

/** The actions Passport gives a strategy for one request. */
const PASSPORT_ACTIONS = [
  'success',
  'fail',
  'error',
  'pass',
  'redirect',
] as const;

/**
 * The module's rules as a passport-jwt strategy, registered with Passport as
 * `JWT_AUTH_STRATEGY`: the bearer token is taken strictly from the
 * `Authorization` header, checked raw before any crypto, verified by
 * jsonwebtoken with the key its header names and that key's one
 * algorithm, and its
 * claims checked in `validate()`, which also asks the revocation store.
 *
 * Every refusal is the module's answer, whichever guard asked: a plain
 * `@UseGuards(AuthGuard(JWT_AUTH_STRATEGY))` gets the same 401 body and
 * `WWW-Authenticate` challenge as `JwtAuthGuard` (503 with `Retry-After`
 * when revocation cannot be checked).
 *
 * Passport keeps one strategy per name for the whole process, the last
 * module's; `JwtAuthGuard` always runs its own module's.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_AUTH_STRATEGY) {
  /**
   * Shared by the objects Passport makes from this strategy for each
   * request, and so changed in place, never replaced.
   */
  private readonly handover: Handover = { request: undefined, token: null };

  constructor(
    protected readonly verifier: TokenVerifier,
    protected readonly revocation: RevocationService,
    protected readonly challenge: BearerChallengeService,
  ) {
    const { algorithms, issuer, audience } = verifier.verifyOptions;
    super({
      jwtFromRequest: tokenOf as (request: unknown) => string | null,
      secretOrKeyProvider: (_request, token, done) => {
        let found: VerificationKey | Promise<VerificationKey>;
        try {
          found = verifier.keyFor(token);
        } catch (error) {
          done(error);
          return;
        }
        // A KeyObject: jsonwebtoken takes it as it is, where a string
        // secret costs a failed public-key parse on every call. The header
        // has the key's one algorithm: jsonwebtoken checks the signature
        // with that.
        if (found instanceof Promise) {
          found
            .then(
              ({ key }) => done(null, key as unknown as string),
              (error: unknown) => done(error),
            )
            .catch(answerFailed);
        } else {
          done(null, found.key as unknown as string);
        }
      },
      algorithms,
      issuer,
      audience: audience as string[] | undefined,
      jsonWebTokenOptions: verifier.verifyOptions,
      ignoreExpiration: true,
    });
  }

  /**
   * Called by Passport for each request it authenticates, on an object of
   * its own that holds the request's actions (`success`, `fail`, ...).
   */
  override authenticate(request: ClaimableRequest, options?: object): void {
    const own = request[CLAIMED_BY];
    if (own !== undefined) {
      // A claim is for one authentication: a guard that runs after, on the
      // same request, gets the strategy Passport holds.
      request[CLAIMED_BY] = undefined;
      if (Object.getPrototypeOf(this) !== own) {
        // Passport found another module's strategy under the shared name.
        // Its actions are closures over the request, not methods.
        const actions = Object.fromEntries(
          PASSPORT_ACTIONS.map((action) => [action, Reflect.get(this, action)]),
        );
        const bound = Object.assign(Object.create(own) as JwtStrategy, actions);
        bound.authenticate(request, options);
        return;
      }
    }
    // Passport's actions are closures over the request: each is kept, and
    // the refusals are answered through Passport's own error.
    const authentication = this as unknown as Authentication;
    const { handover } = this;
    if (handover.request === request) {
      authentication[HANDED_TOKEN] = handover.token;
      handover.request = undefined;
      handover.token = null;
    } else {
      authentication[HANDED_TOKEN] = undefined;
    }
    authentication[ANSWERED_ON] = responseOf(request);
    authentication[PASSPORT_ERROR] = Reflect.get(this, 'error');
    this.fail = failWithRefusal;
    this.error = errorWithAnswer;
    this.authenticateRequest(request, options);
  }

  /**
   * Has this strategy authenticate the request the next time Passport is
   * asked to, whichever module's strategy Passport holds under the shared
   * name, with the `token` read from it already (`null`: none), and links
   * the response for its refusals. `JwtAuthGuard` calls it.
   *
   * It leaves the request as it is when Passport holds this strategy and
   * the request knows its response already (an Express request's `res`;
   * the module's Fastify hook links each request to its reply): Express
   * gives every request a new prototype, after which adding a property to
   * it costs about a microsecond, more than the module's checks of a token.
   * (And on the request rather than in Passport's options: a guard that
   * returns options from `getAuthenticateOptions()` costs every request
   * more too.) The token is handed over on the strategy, for the request
   * it was read from only.
   */
  claim(request: object, response: unknown, token: string | null): void {
    this.handover.request = request;
    this.handover.token = token;
    if (heldByPassport(JWT_AUTH_STRATEGY) !== this) {
      (request as ClaimableRequest)[CLAIMED_BY] = this;
    }
    if (responseOf(request) !== response) linkResponse(request, response);
  }

  /**
   * The user of a token that passed every check before and is still within
   * its times; `undefined` when the token is not remembered. Revocation is
   * not checked here: `JwtAuthGuard` asks `assertedNotRevokedNow()`, or
   * `assertNotRevoked()`, next.
   *
   * @throws InvalidTokenError when a remembered token's time is up.
   */
  rememberedUser(token: string): AuthenticatedUser | undefined {
    return this.verifier.cached(token);
  }

  /**
   * Asks the revocation store about the token of a user.
   *
   * @throws InvalidTokenError, RevocationUnavailableError as `validate()`.
   */
  assertNotRevoked(user: AuthenticatedUser): Promise<void> {
    return this.revocation.assertNotRevoked(user);
  }

  /**
   * `assertNotRevoked()` at once, when the revocation store is in this
   * process's memory: `true` when it checked the token, `false` when the
   * store answers only in a promise.
   *
   * @throws InvalidTokenError, RevocationUnavailableError as `validate()`.
   */
  assertedNotRevokedNow(user: AuthenticatedUser): boolean {
    return this.revocation.assertedNow(user);
  }

  /**
   * The user of a request that sends no `Authorization` header to an
   * `@OptionalAuth()` route: none, an anonymous caller. (The testing
   * strategy answers with its fixed user.)
   */
  userWithoutCredentials(): AuthenticatedUser | undefined {
    return undefined;
  }

  /** Remembers the user of a token that passed every check. */
  remember(token: string, user: AuthenticatedUser): void {
    this.verifier.remember(token, user);
  }

  /**
   * Checks the claims of a token jsonwebtoken verified and asks the
   * revocation store: the user, or an `InvalidTokenError`.
   */
  async validate(payload: unknown): Promise<AuthenticatedUser> {
    const user = this.verifier.accept(payload);
    await this.assertNotRevoked(user);
    return user;
  }

  /**
   * Authenticates one request with the actions already bound to the
   * module's answers: passport-jwt's verification.
   */
  protected authenticateRequest(
    request: RequestWithHeaders,
    options?: object,
  ): void {
    super.authenticate(request as never, options);
  }
}
