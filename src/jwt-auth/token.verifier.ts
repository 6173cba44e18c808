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
import { parseUserId } from './user-id.js';

/** A segment of a compact JWS: base64url without padding (RFC 7515 2, 7.1). */
const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;

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
 * 1. `checkHeader()`: structure and JOSE header, before any crypto;
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
    this.checkHeader(token);
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.options.key, this.verifyOptions);
    } catch (error) {
      throw fromJsonWebTokenError(error);
    }
    return this.toUser(payload);
  }

  /**
   * Refuses, before any signature work, what is not a compact JWS with a JSON
   * object header naming the configured algorithm and no `crit` (RFC 7515
   * 4.1.11: we understand no extension, so any `crit` is refused).
   */
  checkHeader(token: string): void {
    if (typeof token !== 'string')
      throw new InvalidTokenError('token_malformed');
    const segments = token.split('.');
    if (segments.length !== 3 || !segments.every(isBase64UrlSegment)) {
      throw new InvalidTokenError('token_malformed');
    }
    const header = parseJsonObject(segments[0]);
    if (header === undefined) throw new InvalidTokenError('token_malformed');
    if (header.alg !== this.options.algorithm)
      throw new InvalidTokenError('algorithm_not_allowed');
    if (Object.hasOwn(header, 'crit'))
      throw new InvalidTokenError('critical_header_unsupported');
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

function parseJsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(
      Buffer.from(segment, 'base64url').toString('utf8'),
    );
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
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
