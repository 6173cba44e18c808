import { Injectable } from '@nestjs/common';
import {
  JsonWebTokenError,
  JwtService,
  NotBeforeError,
  TokenExpiredError,
  type JwtVerifyOptions,
} from '@nestjs/jwt';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { decodesToUtf8 } from './base64url.js';
import { InvalidTokenError } from './errors/invalid-token.error.js';
import type { AccessTokenClaims } from './interfaces/access-token-claims.interface.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import {
  InjectJwtAuthOptions,
  type ResolvedJwtAuthOptions,
} from './jwt-auth.options.js';
import {
  keyRingFor,
  type KeyRing,
  type TokenHeader,
  type VerificationKey,
} from './keys/key-ring.js';
import { parseUserId } from './user-id.js';
import { VerifiedTokenCache } from './verified-token.cache.js';

/**
 * A compact JWS: three non-empty base64url segments (RFC 7515 3.1, 7.1),
 * without padding (RFC 7515 2).
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The registered time claims, NumericDate values (RFC 7519 2, 4.1.4-4.1.6). */
const TIME_CLAIMS = ['exp', 'nbf', 'iat'] as const;

/**
 * How many distinct header segments of accepted tokens the pre-check
 * remembers, so as not to decode them again. Tokens of one key share one
 * header.
 */
const KNOWN_HEADERS_LIMIT = 16;

/**
 * The module's rules around jsonwebtoken, one set for `TokenService.verify()`,
 * `JwtStrategy` and `JwtAuthGuard` alike, so that a token is never valid in
 * one and not another:
 *
 * 1. `precheck()`, on the raw token before any crypto: its size, the compact
 *    form in the base64url alphabet, and a UTF-8 JSON header with an `alg`
 *    some key is used with and no `crit`;
 * 2. `keyFor()`: the key the header names (`kid`), and that key's one
 *    algorithm, which must be the header's;
 * 3. jsonwebtoken's verification, with `verifyOptions`: the signature under
 *    that key and algorithm, and `iss` and `aud` when configured;
 * 4. `accept()`, on the verified claims: a JSON object, numeric time claims,
 *    `nbf` and `iat` not in the future, `exp` required and not past, the
 *    remaining life within `expiresIn`, and `sub` as a user id.
 *
 * Tokens that passed are remembered from their second sighting on
 * (`tokenCacheSize`, never past their `exp`): presented again, only their
 * times are checked against the clock.
 */
@Injectable()
export class TokenVerifier {
  /**
   * What jsonwebtoken checks. Times are left to `accept()`: it compares them
   * with the exact clock, where jsonwebtoken rounds it down to the second.
   */
  readonly verifyOptions: Readonly<JwtVerifyOptions>;

  /** Header segments of tokens that passed every check, each with its dot, and their fields; bounded. */
  private readonly knownHeaders = new Map<string, TokenHeader>();
  private readonly verified: VerifiedTokenCache | undefined;
  private readonly keys: KeyRing;

  constructor(
    @InjectJwtAuthOptions() private readonly options: ResolvedJwtAuthOptions,
    private readonly jwt: JwtService,
  ) {
    this.keys = keyRingFor(options.keys);
    this.verifyOptions = Object.freeze({
      algorithms: [...this.keys.algorithms],
      ignoreExpiration: true,
      ignoreNotBefore: true,
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
      ...(options.audience === undefined
        ? {}
        : { audience: [...options.audience] as [string, ...string[]] }),
    });
    this.verified =
      options.tokenCacheSize === 0
        ? undefined
        : new VerifiedTokenCache(options.tokenCacheSize);
  }

  /**
   * Verifies a compact token and returns its user, remembering it.
   *
   * @throws InvalidTokenError when the token is refused.
   */
  async verify(token: string): Promise<AuthenticatedUser> {
    const cached = this.cached(token);
    if (cached !== undefined) return cached;
    const { key, algorithms } = await this.keyFor(token);
    let payload: unknown;
    try {
      // A new object each call: JwtService deletes the key from it.
      payload = this.jwt.verify(token, {
        ...this.verifyOptions,
        algorithms,
        secret: key,
      } as unknown as JwtVerifyOptions);
    } catch (error) {
      throw invalidTokenFrom(error);
    }
    const user = this.accept(payload);
    this.remember(token, user);
    return user;
  }

  /**
   * The user of a token that passed every check before, when it is still
   * within its times; `undefined` when it is not remembered.
   *
   * @throws InvalidTokenError when a remembered token's time is up.
   */
  cached(token: string): AuthenticatedUser | undefined {
    const user = this.verified?.get(token);
    if (user !== undefined) {
      try {
        this.checkTimes(user.claims);
      } catch (error) {
        this.verified?.delete(token);
        throw error;
      }
    }
    return user;
  }

  /**
   * Remembers a token that passed every check, from its second sighting on
   * and until its `exp` at most, and its header.
   */
  remember(token: string, user: AuthenticatedUser): void {
    if (this.knownHeaders.size < KNOWN_HEADERS_LIMIT) {
      const segment = token.slice(0, token.indexOf('.') + 1);
      if (!this.knownHeaders.has(segment)) {
        this.knownHeaders.set(
          segment,
          headerFields(segment.slice(0, -1), this.keys.algorithms),
        );
      }
    }
    // Milliseconds: until its exp, and while its key is known to stand.
    const ttl = Math.min(
      (user.claims.exp + this.options.clockTolerance - nowSeconds()) * 1000,
      this.keys.rememberFor(),
    );
    if (ttl > 0) this.verified?.offer(token, user, ttl);
  }

  /**
   * The key of a raw token, after `precheck()`: the one its header names.
   *
   * @throws InvalidTokenError when the token is refused.
   * @throws KeySetUnavailableError, in the promise, when a provider's keys
   *   cannot be fetched.
   */
  keyFor(token: unknown): VerificationKey | Promise<VerificationKey> {
    return this.keys.keyFor(this.precheck(token));
  }

  /**
   * The checks of the raw token, before any crypto: size, compact form, and
   * the header's accepted `alg`, string `kid` and absent `crit`.
   *
   * @returns the header's `alg` and `kid`.
   * @throws InvalidTokenError when the token is refused.
   */
  precheck(token: unknown): TokenHeader {
    if (
      typeof token !== 'string' ||
      token.length > this.options.maxTokenLength ||
      !COMPACT_JWS.test(token)
    ) {
      throw new InvalidTokenError('token_malformed');
    }
    const headerEnd = token.indexOf('.');
    const payloadEnd = token.indexOf('.', headerEnd + 1);
    if (
      headerEnd % 4 === 1 ||
      (payloadEnd - headerEnd - 1) % 4 === 1 ||
      (token.length - payloadEnd - 1) % 4 === 1
    ) {
      // No base64url encoding of any bytes has such a length.
      throw new InvalidTokenError('token_malformed');
    }
    // The claims are parsed by jsonwebtoken, which reads them as UTF-8
    // and replaces what is not: refuse such bytes before.
    if (!decodesToUtf8(token, headerEnd + 1)) {
      throw new InvalidTokenError('token_malformed');
    }
    const known = this.knownHeaders.get(token.slice(0, headerEnd + 1));
    if (known !== undefined) return known;
    return headerFields(token.slice(0, headerEnd), this.keys.algorithms);
  }

  /**
   * The checks of the claims of a token whose signature holds, and the user
   * they name.
   *
   * @throws InvalidTokenError when the claims are refused.
   */
  accept(payload: unknown): AuthenticatedUser {
    if (!isJsonObject(payload)) throw new InvalidTokenError('token_malformed');
    for (const name of TIME_CLAIMS) {
      const value = payload[name];
      if (
        value !== undefined &&
        (typeof value !== 'number' || !Number.isFinite(value))
      ) {
        throw new InvalidTokenError('token_malformed');
      }
    }
    this.checkTimes(payload);
    const userId = parseUserId(payload.sub);
    if (userId === undefined) throw new InvalidTokenError('invalid_subject');
    // Frozen: the cache hands this very object to every request that
    // presents the token again.
    return Object.freeze({
      userId,
      claims: deepFreeze(payload) as AccessTokenClaims,
      tokenId: tokenIdOf(payload),
    });
  }

  /** `nbf`, `iat` and `exp` against the clock, with the tolerance; `exp` is required. */
  private checkTimes(claims: {
    readonly exp?: unknown;
    readonly nbf?: unknown;
    readonly iat?: unknown;
  }): void {
    // Not rounded to whole seconds: a NumericDate may have a fraction
    // (RFC 7519 2), and an iat of a moment ago is not in the future.
    const now = nowSeconds();
    const { clockTolerance: tolerance, expiresIn: longest } = this.options;
    const { exp, nbf, iat } = claims as {
      exp?: number;
      nbf?: number;
      iat?: number;
    };
    // A token issued in the future would also pass the cutoff of
    // revokeAllForUser(), which refuses the tokens issued until then.
    if (
      (nbf !== undefined && nbf > now + tolerance) ||
      (iat !== undefined && iat > now + tolerance)
    ) {
      throw new InvalidTokenError('token_not_yet_valid');
    }
    if (exp === undefined) throw new InvalidTokenError('claim_missing');
    if (now >= exp + tolerance) throw new InvalidTokenError('token_expired');
    // No token has more left to live than expiresIn: that bounds how long a
    // revocation must be remembered. Its iat does not matter: an issuer may
    // date it back.
    if (exp - now > longest + tolerance) {
      throw new InvalidTokenError('token_lifetime_exceeded');
    }
  }
}

/**
 * The refusal for an error of jsonwebtoken's (`JsonWebTokenError` and its
 * subclasses, by their documented messages, and the `SyntaxError` of claims
 * that are not JSON); any other error is passed on as it is.
 */
export function invalidTokenFrom(error: unknown): unknown {
  // The parser's message quotes the claims: it is not kept as the cause.
  if (error instanceof SyntaxError) {
    return new InvalidTokenError('token_malformed');
  }
  if (!(error instanceof JsonWebTokenError)) return error;
  if (error instanceof TokenExpiredError) {
    return new InvalidTokenError('token_expired', { cause: error });
  }
  if (error instanceof NotBeforeError) {
    return new InvalidTokenError('token_not_yet_valid', { cause: error });
  }
  const { message } = error;
  const code =
    message === 'invalid signature'
      ? 'invalid_signature'
      : message === 'invalid algorithm'
        ? 'algorithm_not_allowed'
        : message.startsWith('jwt audience invalid') ||
            message.startsWith('jwt issuer invalid')
          ? 'claim_mismatch'
          : 'token_malformed';
  return new InvalidTokenError(code, { cause: error });
}

/**
 * The `alg` and `kid` of a header segment: a JSON object whose `alg` is
 * one of `algorithms`, whose `kid`, if any, is a string, and without `crit`.
 *
 * @throws InvalidTokenError when the header is refused.
 */
function headerFields(
  segment: string,
  algorithms: readonly string[],
): TokenHeader {
  const fields = decodeJsonObject(segment);
  const { alg, kid } = fields;
  if (typeof alg !== 'string' || !algorithms.includes(alg)) {
    throw new InvalidTokenError('algorithm_not_allowed');
  }
  if (Object.hasOwn(fields, 'crit')) {
    throw new InvalidTokenError('critical_header_unsupported');
  }
  if (kid !== undefined && typeof kid !== 'string') {
    throw new InvalidTokenError('token_malformed');
  }
  return Object.freeze({ alg, kid });
}

/**
 * Decodes a base64url segment holding a UTF-8 (RFC 7515 5.2) JSON object.
 * No parser message reaches the error: it would quote the token.
 */
function decodeJsonObject(segment: string): Record<string, unknown> {
  const bytes = Buffer.from(segment, 'base64url');
  if (!isUtf8(bytes)) throw new InvalidTokenError('token_malformed');
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidTokenError('token_malformed');
  }
  if (!isJsonObject(value)) throw new InvalidTokenError('token_malformed');
  return value;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nowSeconds(): number {
  return Date.now() / 1000;
}

/** Freezes a parsed JSON value and every object and array in it. */
function deepFreeze<T extends object>(value: T): T {
  Object.freeze(value);
  for (const key of Object.keys(value)) {
    const member: unknown = value[key as keyof T];
    if (typeof member === 'object' && member !== null) deepFreeze(member);
  }
  return value;
}

/** A UTF-16 surrogate without its other half: not text UTF-8 can carry. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * `AuthenticatedUser.tokenId`: the `jti`, or a digest of the claims of a
 * token that has none (tokens with the same claims under one key are the
 * same credential), or whose `jti` is not well-formed text: a store that
 * keeps ids as UTF-8, as Redis does, would read such a one back changed.
 */
function tokenIdOf(claims: Record<string, unknown>): string {
  return typeof claims.jti === 'string' &&
    claims.jti.length > 0 &&
    !LONE_SURROGATE.test(claims.jti)
    ? `jti:${claims.jti}`
    : `sha256:${createHash('sha256').update(JSON.stringify(claims)).digest('base64url')}`;
}
