import { invalidScopeToken } from './scope.js';

/** Metadata key set by `@RequireScopes()`: the required scope-tokens. */
export const REQUIRED_SCOPES_KEY = 'jwt-auth:scopes';

/**
 * Requires a token whose `scope` claim grants every one of `scopes`, on a
 * route or a whole controller. The route needs a token even where
 * `@Public()` or `@OptionalAuth()` also applies; scopes required by the
 * controller and by the handler add up, as do several `@RequireScopes()`
 * on one target. A valid token without them is
 * refused with `403` and an `insufficient_scope` challenge.
 *
 * @param scopes RFC 6749 3.3 scope-tokens; at least one.
 * @throws TypeError, when the route is declared, for no scope or a value
 *   that is not a scope-token.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function RequireScopes(
  ...scopes: string[]
): MethodDecorator & ClassDecorator {
  if (scopes.length === 0) {
    throw new TypeError('@RequireScopes() needs at least one scope');
  }
  const invalid = invalidScopeToken(scopes);
  if (invalid !== undefined) {
    throw new TypeError(
      `@RequireScopes(): ${invalid} is not a scope-token (RFC 6749 3.3: printable ASCII without space, " or \\)`,
    );
  }
  return (
    target: object,
    _key?: string | symbol,
    descriptor?: PropertyDescriptor,
  ) => {
    const holder = (descriptor?.value as object | undefined) ?? target;
    // Inherited too: a subclass adds to its base class's scopes, and its
    // own entry would otherwise hide them.
    const declared =
      (Reflect.getMetadata(REQUIRED_SCOPES_KEY, holder) as
        readonly string[] | undefined) ?? [];
    Reflect.defineMetadata(
      REQUIRED_SCOPES_KEY,
      Object.freeze([...new Set([...declared, ...scopes])]),
      holder,
    );
  };
}
