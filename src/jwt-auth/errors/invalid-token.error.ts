/**
 * Why a token was refused. Stable: applications may switch on it.
 *
 * - `token_malformed`: not a compact JWS of three base64url segments with a
 *   JSON object header and payload.
 * - `algorithm_not_allowed`: the header's `alg` is not one a key is used
 *   with, or not the one of the key its `kid` names.
 * - `critical_header_unsupported`: the header has a `crit` parameter
 *   (RFC 7515 4.1.11); this module understands no extension.
 * - `unknown_key`: the header's `kid` names no key (with `keys` or `jwks`).
 * - `invalid_signature`: the signature does not match.
 * - `token_expired`: `exp` is in the past.
 * - `token_not_yet_valid`: `nbf` or `iat` is in the future.
 * - `token_lifetime_exceeded`: the token lives longer than the module's
 *   `expiresIn` (from `iat`, or from now).
 * - `claim_missing`: a required claim (`exp`) is absent.
 * - `claim_mismatch`: `iss` or `aud` is not the configured one.
 * - `invalid_subject`: `sub` is not a canonical user id.
 * - `token_revoked`: the token, or every token of its user issued until
 *   then, was revoked.
 */
export type InvalidTokenCode =
  | 'token_malformed'
  | 'algorithm_not_allowed'
  | 'critical_header_unsupported'
  | 'unknown_key'
  | 'invalid_signature'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_lifetime_exceeded'
  | 'claim_missing'
  | 'claim_mismatch'
  | 'invalid_subject'
  | 'token_revoked';

/**
 * A short fixed description per code: the error's message and the
 * challenge's `error_description` (RFC 6750 3). Never token text or claim values.
 */
export const INVALID_TOKEN_DESCRIPTIONS: Readonly<
  Record<InvalidTokenCode, string>
> = {
  token_malformed: 'The access token is malformed',
  algorithm_not_allowed: 'The access token algorithm is not allowed',
  critical_header_unsupported:
    'The access token has an unsupported critical header',
  unknown_key: 'The access token signing key is unknown',
  invalid_signature: 'The access token signature is invalid',
  token_expired: 'The access token expired',
  token_not_yet_valid: 'The access token is not valid yet',
  token_lifetime_exceeded:
    'The access token lives longer than this service allows',
  claim_missing: 'The access token lacks a required claim',
  claim_mismatch: 'The access token was not issued for this service',
  invalid_subject: 'The access token subject is not a valid user id',
  token_revoked: 'The access token has been revoked',
};

/**
 * Thrown by `TokenService.verify()` (and met by `JwtAuthGuard`) when a token
 * is refused. The message never holds token text or claim values.
 */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';

  constructor(
    /** Why the token was refused. */
    readonly code: InvalidTokenCode,
    options?: ErrorOptions,
  ) {
    super(INVALID_TOKEN_DESCRIPTIONS[code], options);
  }
}
