import {
  INVALID_TOKEN_DESCRIPTIONS,
  type InvalidTokenCode,
} from './errors/invalid-token.error.js';

/**
 * Why a request was refused: `token_missing` when it presented no bearer
 * token, `invalid_credentials` when an application refuses other
 * credentials (a login), otherwise why its token was refused.
 */
export type RefusalReason =
  'token_missing' | 'invalid_credentials' | InvalidTokenCode;

/**
 * The `WWW-Authenticate` value for a refusal (RFC 6750 3): the realm alone
 * when no token was presented (3.1: no error code then), plus
 * `error="invalid_token"` and a fixed `error_description` when one was.
 * `realm` is validated at startup to need no escaping.
 */
export function bearerChallenge(realm: string, reason: RefusalReason): string {
  const challenge = `Bearer realm="${realm}"`;
  if (reason === 'token_missing' || reason === 'invalid_credentials') {
    return challenge;
  }
  return `${challenge}, error="invalid_token", error_description="${INVALID_TOKEN_DESCRIPTIONS[reason]}"`;
}
