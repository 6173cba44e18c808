/**
 * An OAuth 2.0 successful access token response.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface TokenResponse {
  /** The signed compact JWT. */
  readonly access_token: string;
  /** Always `Bearer`. @see https://www.rfc-editor.org/rfc/rfc6750#section-4 */
  readonly token_type: 'Bearer';
  /** Lifetime of the access token, in seconds. */
  readonly expires_in: number;
  /**
   * The scopes the token grants, space-separated; present when scopes were
   * given to `createTokenResponse()`.
   *
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
   */
  readonly scope?: string;
}

/** Per-token options of `TokenService.sign()`. */
export interface SignOptions {
  /**
   * Lifetime of this token, in seconds; overrides the module's `expiresIn`.
   */
  readonly expiresIn?: number;
}

/** Options of `TokenService.createTokenResponse()`. */
export interface TokenResponseOptions extends SignOptions {
  /**
   * The scopes the token grants: RFC 6749 3.3 scope-tokens, signed into the
   * token's `scope` claim and returned as the response's `scope`. None by
   * default.
   */
  readonly scopes?: readonly string[];
}
