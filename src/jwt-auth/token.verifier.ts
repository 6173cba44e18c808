import { Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import type { KeyObject } from 'node:crypto';
import { InvalidTokenError } from './errors/invalid-token.error.js';
import type { AccessTokenClaims } from './interfaces/access-token-claims.interface.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import type { JwtAlgorithm } from './interfaces/jwt-auth-module-options.interface.js';
import {
  InjectJwtAuthOptions,
  type ResolvedJwtAuthOptions,
} from './jwt-auth.options.js';
import { hasDuplicateMemberNames } from './json-members.js';
import { parseUserId } from './user-id.js';

/** A segment of a compact JWS: base64url without padding (RFC 7515 2, 7.1). */
const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;

/** The registered time claims, NumericDate values (RFC 7519 2, 4.1.4-4.1.6). */
const TIME_CLAIMS = ['exp', 'nbf', 'iat'] as const;

/** Refuses bytes that are not UTF-8 (RFC 7515 5.2, RFC 7519 7.2) instead of replacing them. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A token's JOSE header and claims, read by `TokenVerifier.inspect()` before any crypto. */
export interface InspectedToken {
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** The subset of jsonwebtoken's `VerifyOptions` the module sets. */
export interface JsonWebTokenVerifyOptions {
  readonly algorithms: [JwtAlgorithm];
  readonly issuer: string | undefined;
  readonly audience: [string, ...string[]] | undefined;
  /** Seconds. */
  readonly clockTolerance: number;
  readonly ignoreExpiration: false;
  readonly ignoreNotBefore: false;
}

/**
 * The one set of verification rules, shared by `TokenService.verify()` and
 * `JwtStrategy`, so that a token is never valid in one and not the other:
 *
 * 1. `inspect()`: size, structure, JOSE header and claim types, before any
 *    crypto;
 * 2. jsonwebtoken's `verify()` with `key` and `verifyOptions`: signature,
 *    pinned algorithm, `exp`, `nbf`, `iss`, `aud`;
 * 3. `toUser()`: what jsonwebtoken leaves out: `exp` required, `sub` a user id.
 */
@Injectable()
export class TokenVerifier {
  /** jsonwebtoken's options; passport-jwt gets the very same values. */
  readonly verifyOptions: JsonWebTokenVerifyOptions;

  constructor(
    @InjectJwtAuthOptions() private readonly options: ResolvedJwtAuthOptions,
  ) {
    this.verifyOptions = Object.freeze({
      algorithms: [options.algorithm] as [JwtAlgorithm],
      issuer: options.issuer,
      audience: options.audience as [string, ...string[]] | undefined,
      clockTolerance: options.clockTolerance,
      ignoreExpiration: false,
      ignoreNotBefore: false,
    });
  }

  /** The verification key. */
  get key(): KeyObject {
    return this.options.key;
  }

  /** Verifies a compact token and returns its user. Throws `InvalidTokenError`. */
  verify(token: string): AuthenticatedUser {
    this.inspect(token);
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.options.key, this.verifyOptions);
    } catch (error) {
      throw fromJsonWebTokenError(error);
    }
    return this.toUser(payload);
  }

  /**
   * The strict pre-check, before any signature work. Refuses what is not:
   * - at most `maxTokenLength` characters;
   * - three non-empty base64url segments (RFC 7515 7.1), nothing else;
   * - a header and claims that are UTF-8 JSON objects (RFC 7515 4,
   *   RFC 7519 7.2) with no member name repeated (RFC 7519 4);
   * - a header whose `alg` is the configured algorithm (RFC 8725 3.1) and
   *   that has no `crit` (RFC 7515 4.1.11: we understand no extension);
   * - claims whose `exp`, `nbf` and `iat`, when present, are JSON numbers
   *   (RFC 7519 4.1.4-4.1.6).
   */
  inspect(token: string): InspectedToken {
    if (
      typeof token !== 'string' ||
      token.length > this.options.maxTokenLength
    ) {
      throw new InvalidTokenError('token_malformed');
    }
    const segments = token.split('.');
    if (segments.length !== 3 || !segments.every(isBase64UrlSegment)) {
      throw new InvalidTokenError('token_malformed');
    }
    const header = decodeJsonObject(segments[0]);
    if (header.alg !== this.options.algorithm) {
      throw new InvalidTokenError('algorithm_not_allowed');
    }
    if (Object.hasOwn(header, 'crit')) {
      throw new InvalidTokenError('critical_header_unsupported');
    }
    const claims = decodeJsonObject(segments[1]);
    for (const name of TIME_CLAIMS) {
      const value = claims[name];
      if (
        value !== undefined &&
        (typeof value !== 'number' || !Number.isFinite(value))
      ) {
        throw new InvalidTokenError('token_malformed');
      }
    }
    return { header, claims };
  }

  /** Checks the verified payload for what jsonwebtoken does not: `exp` present, `sub` a user id. */
  toUser(payload: unknown): AuthenticatedUser {
    if (
      typeof payload !== 'object' ||
      payload === null ||
      Array.isArray(payload)
    ) {
      throw new InvalidTokenError('token_malformed');
    }
    const claims = payload as Partial<AccessTokenClaims>;
    if (claims.exp === undefined) throw new InvalidTokenError('claim_missing');
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
      throw new InvalidTokenError('token_malformed');
    }
    const userId = parseUserId(claims.sub);
    if (userId === undefined) throw new InvalidTokenError('invalid_subject');
    return { userId, claims: claims as AccessTokenClaims };
  }
}

function isBase64UrlSegment(segment: string): boolean {
  // A length of 1 modulo 4 cannot come from base64url encoding any bytes.
  return segment.length % 4 !== 1 && BASE64URL_SEGMENT.test(segment);
}

/** Decodes a base64url segment holding a UTF-8 JSON object with unique member names. */
function decodeJsonObject(segment: string): Record<string, unknown> {
  let text: string;
  let value: unknown;
  try {
    text = UTF8.decode(Buffer.from(segment, 'base64url'));
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidTokenError('token_malformed', { cause: error });
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    hasDuplicateMemberNames(text)
  ) {
    throw new InvalidTokenError('token_malformed');
  }
  return value as Record<string, unknown>;
}

/**
 * Translates jsonwebtoken's errors, which carry no codes, into ours. Anything
 * not recognised is refused as malformed: the mapping fails closed.
 */
export function fromJsonWebTokenError(error: unknown): InvalidTokenError {
  if (error instanceof InvalidTokenError) return error;
  if (error instanceof jwt.TokenExpiredError)
    return new InvalidTokenError('token_expired', { cause: error });
  if (error instanceof jwt.NotBeforeError)
    return new InvalidTokenError('token_not_yet_valid', { cause: error });
  if (error instanceof jwt.JsonWebTokenError) {
    const message = error.message;
    if (message === 'invalid signature')
      return new InvalidTokenError('invalid_signature', { cause: error });
    if (message === 'invalid algorithm')
      return new InvalidTokenError('algorithm_not_allowed', { cause: error });
    if (
      message.startsWith('jwt audience invalid') ||
      message.startsWith('jwt issuer invalid')
    ) {
      return new InvalidTokenError('claim_mismatch', { cause: error });
    }
  }
  return new InvalidTokenError('token_malformed', { cause: error });
}
