import {
  INVALID_TOKEN_DESCRIPTIONS,
  type InvalidTokenCode,
} from './errors/invalid-token.error.js';
import { invalidScopeToken } from './scope.js';

/**
 * Why a request was refused: `token_missing` when it presented no bearer
 * token, `invalid_credentials` when an application refuses other
 * credentials (a login), otherwise why its token was refused.
 */
export type RefusalReason =
  'token_missing' | 'invalid_credentials' | InvalidTokenCode;

/** The `error_description` of an `insufficient_scope` challenge. */
const INSUFFICIENT_SCOPE_DESCRIPTION =
  'The access token does not grant the required scope';

/**
 * The `WWW-Authenticate` value for a refusal (RFC 6750 3): the realm alone
 * when no token was presented (3.1: no error code then), plus
 * `error="invalid_token"` and a fixed `error_description` when one was.
 * For a valid token that lacks a scope the route requires (a 403),
 * `error="insufficient_scope"` and the required scopes in `scope` (3.1).
 * `realm` is validated at startup to need no escaping; each scope is
 * checked here to be a scope-token, which cannot hold `"` or `\`.
 *
 * @throws TypeError for `insufficient_scope` without scopes, or with a value
 *   that is not a scope-token.
 */
export function bearerChallenge(realm: string, reason: RefusalReason): string;
export function bearerChallenge(
  realm: string,
  reason: 'insufficient_scope',
  scopes: readonly string[],
): string;
export function bearerChallenge(
  realm: string,
  reason: RefusalReason | 'insufficient_scope',
  scopes: readonly string[] = [],
): string {
  const challenge = `Bearer realm="${realm}"`;
  if (reason === 'token_missing' || reason === 'invalid_credentials') {
    return challenge;
  }
  if (reason === 'insufficient_scope') {
    return `${challenge}, error="insufficient_scope", error_description="${INSUFFICIENT_SCOPE_DESCRIPTION}", scope="${scopeAttribute(scopes)}"`;
  }
  return `${challenge}, error="invalid_token", error_description="${INVALID_TOKEN_DESCRIPTIONS[reason]}"`;
}

/** The `scope` attribute's value: scope-tokens joined by spaces (RFC 6750 3). */
function scopeAttribute(scopes: readonly string[]): string {
  if (scopes.length === 0) {
    throw new TypeError(
      'bearerChallenge(): insufficient_scope needs the required scopes',
    );
  }
  const invalid = invalidScopeToken(scopes);
  if (invalid !== undefined) {
    throw new TypeError(`bearerChallenge(): ${invalid} is not a scope-token`);
  }
  return scopes.join(' ');
}
