/**
 * A scope-token: one or more of `%x21 / %x23-5B / %x5D-7E`, so never a
 * space, a `"` or a `\`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** A scope value: scope-tokens separated by single spaces (RFC 6749 3.3). */
const SCOPE_VALUE =
  /^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/;

/** Whether `value` is one RFC 6749 3.3 scope-token. */
export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value);
}

/** Whether `value` is an RFC 6749 3.3 scope: scope-tokens separated by single spaces. */
export function isScopeValue(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_VALUE.test(value);
}

/**
 * The scopes a token's `scope` claim grants (RFC 8693 4.2: a space-delimited
 * string). A claim that is not a string, or is not a well-formed scope
 * value, grants none: a malformed grant is read as less, never as more.
 */
export function grantedScopes(claim: unknown): ReadonlySet<string> {
  return isScopeValue(claim) ? new Set(claim.split(' ')) : new Set();
}

/**
 * Whether a token's `scope` claim grants every one of `required`. Nothing
 * is read for a route that requires no scope: that is every guarded request
 * of most applications.
 */
export function grantsScopes(
  claim: unknown,
  required: readonly string[],
): boolean {
  if (required.length === 0) return true;
  const granted = grantedScopes(claim);
  return required.every((scope) => granted.has(scope));
}

/**
 * The first of `scopes` that is not a scope-token, named for an error
 * message (a string as JSON, anything else by its type), or `undefined`
 * when every one is.
 */
export function invalidScopeToken(
  scopes: readonly unknown[],
): string | undefined {
  const index = scopes.findIndex((scope) => !isScopeToken(scope));
  if (index < 0) return undefined;
  const value = scopes[index];
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
