/**
 * The claims of a verified access token.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1
 */
export interface AccessTokenClaims {
  /** Subject: the user id, as a canonical decimal string or a JSON integer. */
  readonly sub: string | number;
  /** Expiration time, in seconds since the Unix epoch (UTC). */
  readonly exp: number;
  /** Issued-at time, in seconds since the Unix epoch (UTC). */
  readonly iat?: number;
  /** Not-before time, in seconds since the Unix epoch (UTC). */
  readonly nbf?: number;
  /** Token id. */
  readonly jti?: string;
  /** Issuer. */
  readonly iss?: string;
  /** Audience. */
  readonly aud?: string | readonly string[];
  /** Any other claim the token carries. */
  readonly [claim: string]: unknown;
}

/** Claims a caller hands to `TokenService.sign()`. */
export interface ClaimsToSign {
  /**
   * The user id: a non-negative safe integer, or its canonical decimal
   * string. Always written into the token as a string.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1.2
   */
  readonly sub: string | number;
  /**
   * The scopes the token grants: scope-tokens separated by single spaces,
   * as `@RequireScopes()` reads them.
   *
   * @see https://www.rfc-editor.org/rfc/rfc8693#section-4.2
   */
  readonly scope?: string;
  /** Any other application claim. The registered claims the module sets (`iat`, `exp`, `nbf`, `jti`, `iss`, `aud`) are refused. */
  readonly [claim: string]: unknown;
}
