import { Injectable } from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { InvalidTokenError } from './errors/invalid-token.error.js';
import type { AccessTokenClaims } from './interfaces/access-token-claims.interface.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import { hmacBase64Url } from './hmac.js';
import { scanMembers } from './json-members.js';
import {
  InjectJwtAuthOptions,
  type ResolvedJwtAuthOptions,
} from './jwt-auth.options.js';
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
 * How many distinct header segments of verified tokens `verify()` remembers,
 * so as not to parse them again. Tokens from one issuer share one header.
 */
const KNOWN_HEADERS_LIMIT = 16;

/**
 * The one implementation of the verification rules, behind
 * `TokenService.verify()`, `JwtAuthGuard` and `JwtStrategy` alike, so that a
 * token is never valid in one and not another. In order:
 *
 * 1. a strict pre-check, before any crypto: size, structure, UTF-8 JSON
 *    objects without repeated member names, the pinned `alg`, no `crit`,
 *    numeric time claims;
 * 2. the HMAC, compared in constant time;
 * 3. the claims: `nbf` and `iat` (not in the future), `exp` (required),
 *    `aud` and `iss` when configured, and `sub` as a user id.
 *
 * A token that passed twice is remembered (`tokenCacheSize`); presented
 * again, only its times are checked against the clock.
 */
@Injectable()
export class TokenVerifier {
  /** Header segments of tokens that passed every check; bounded. */
  private readonly knownHeaders = new Set<string>();
  /**
   * Tokens that passed every check, at most `tokenCacheSize`: refused input
   * never gets in, so it cannot crowd the real tokens out.
   */
  private readonly verified: VerifiedTokenCache;

  constructor(
    @InjectJwtAuthOptions() private readonly options: ResolvedJwtAuthOptions,
  ) {
    this.verified = new VerifiedTokenCache(options.tokenCacheSize);
  }

  /** Verifies a compact token and returns its user. Throws `InvalidTokenError`. */
  verify(token: string): AuthenticatedUser {
    const cached = this.verified.get(token);
    if (cached !== undefined) {
      try {
        this.checkTimes(cached.claims);
      } catch (error) {
        this.verified.delete(token);
        throw error;
      }
      return cached;
    }
    const user = this.verifyAfresh(token);
    this.verified.admit(token, user);
    return user;
  }

  private verifyAfresh(token: string): AuthenticatedUser {
    if (
      typeof token !== 'string' ||
      token.length > this.options.maxTokenLength ||
      !COMPACT_JWS.test(token)
    ) {
      throw new InvalidTokenError('token_malformed');
    }
    const headerEnd = token.indexOf('.');
    const payloadEnd = token.indexOf('.', headerEnd + 1);
    const headerSegment = token.slice(0, headerEnd);
    const payloadSegment = token.slice(headerEnd + 1, payloadEnd);
    const signatureSegment = token.slice(payloadEnd + 1);
    if (
      headerSegment.length % 4 === 1 ||
      payloadSegment.length % 4 === 1 ||
      signatureSegment.length % 4 === 1
    ) {
      // No base64url encoding of any bytes has such a length.
      throw new InvalidTokenError('token_malformed');
    }

    const headerKnown = this.knownHeaders.has(headerSegment);
    if (!headerKnown) this.checkHeader(headerSegment);
    const { claims, subWritten } = readClaims(payloadSegment);

    const expected = hmacBase64Url(
      this.options.algorithm,
      this.options.key,
      token.slice(0, payloadEnd),
    );
    // Comparing the encoded text also refuses a signature that decodes to
    // the right bytes but is spelled differently.
    if (!constantTimeEqual(expected, signatureSegment)) {
      throw new InvalidTokenError('invalid_signature');
    }
    // Only a header our key signed is remembered: forged tokens cannot
    // crowd out the real ones.
    if (!headerKnown && this.knownHeaders.size < KNOWN_HEADERS_LIMIT) {
      this.knownHeaders.add(headerSegment);
    }

    return this.checkClaims(token, claims, subWritten);
  }

  /** The header checks: the pinned algorithm and no `crit`. */
  private checkHeader(segment: string): void {
    const header = decodeJsonObject(segment).value;
    if (header.alg !== this.options.algorithm) {
      throw new InvalidTokenError('algorithm_not_allowed');
    }
    if (Object.hasOwn(header, 'crit')) {
      throw new InvalidTokenError('critical_header_unsupported');
    }
  }

  /** `nbf`, `iat` and `exp` against the clock, with the tolerance; `exp` is required. */
  private checkTimes(claims: {
    exp?: unknown;
    nbf?: unknown;
    iat?: unknown;
  }): void {
    // Not rounded to whole seconds: a NumericDate may have a fraction
    // (RFC 7519 2), and an iat of a moment ago is not in the future.
    const now = Date.now() / 1000;
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
    // No token lives longer than expiresIn: that bounds how long a
    // revocation must be remembered.
    if (
      exp - now > longest + tolerance ||
      (iat !== undefined && exp - iat > longest + tolerance)
    ) {
      throw new InvalidTokenError('token_lifetime_exceeded');
    }
  }

  /** The claim checks, once the signature holds. */
  private checkClaims(
    token: string,
    claims: Record<string, unknown>,
    subWritten: string | undefined,
  ): AuthenticatedUser {
    this.checkTimes(claims);
    if (
      (this.options.audience !== undefined &&
        !audienceMatches(claims.aud, this.options.audience)) ||
      (this.options.issuer !== undefined && claims.iss !== this.options.issuer)
    ) {
      throw new InvalidTokenError('claim_mismatch');
    }
    const userId = parseUserId(claims.sub, subWritten);
    if (userId === undefined) throw new InvalidTokenError('invalid_subject');
    // Frozen: the cache hands this very object to every request that
    // presents the token again.
    return Object.freeze({
      userId,
      claims: deepFreeze(claims) as AccessTokenClaims,
      tokenId: tokenIdOf(token, claims),
    });
  }
}

/** Reads the claims segment, refusing time claims that are not numbers. */
function readClaims(segment: string): {
  claims: Record<string, unknown>;
  subWritten: string | undefined;
} {
  const { value: claims, captured } = decodeJsonObject(segment, 'sub');
  for (const name of TIME_CLAIMS) {
    const value = claims[name];
    if (
      value !== undefined &&
      (typeof value !== 'number' || !Number.isFinite(value))
    ) {
      throw new InvalidTokenError('token_malformed');
    }
  }
  return { claims, subWritten: captured };
}

/**
 * Decodes a base64url segment holding a UTF-8 (RFC 7515 5.2) JSON object
 * with no repeated member names (RFC 7519 4). No parser message reaches the
 * error: it would quote the token.
 */
function decodeJsonObject(
  segment: string,
  capture?: string,
): { value: Record<string, unknown>; captured: string | undefined } {
  const bytes = Buffer.from(segment, 'base64url');
  const text = bytes.toString('utf8');
  // Decoding replaces bytes that are not UTF-8 with U+FFFD; only then is
  // the stricter check needed.
  if (text.includes('\uFFFD') && !isUtf8(bytes)) {
    throw new InvalidTokenError('token_malformed');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidTokenError('token_malformed');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidTokenError('token_malformed');
  }
  const scan = scanMembers(text, value, capture);
  if (scan.duplicateNames) throw new InvalidTokenError('token_malformed');
  return { value: value as Record<string, unknown>, captured: scan.captured };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/** `AuthenticatedUser.tokenId`: the `jti`, or a digest of a token that has none. */
function tokenIdOf(token: string, claims: Record<string, unknown>): string {
  return typeof claims.jti === 'string' && claims.jti.length > 0
    ? `jti:${claims.jti}`
    : `sha256:${createHash('sha256').update(token).digest('base64url')}`;
}

/**
 * Whether two ASCII strings are equal, in time that depends on their length
 * only, not on where they differ.
 */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) {
    difference |= a.charCodeAt(index) ^ b.charCodeAt(index);
  }
  return difference === 0;
}

/** RFC 7519 4.1.3: `aud` is a string or an array of strings; one must be ours. */
function audienceMatches(aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud);
  return (
    Array.isArray(aud) &&
    aud.some((entry) => typeof entry === 'string' && accepted.includes(entry))
  );
}
