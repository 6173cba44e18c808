import { Injectable } from '@nestjs/common';
import { JwtService, type JwtSignOptions } from '@nestjs/jwt';
import { randomUUID, type KeyObject } from 'node:crypto';
import type { ClaimsToSign } from './interfaces/access-token-claims.interface.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import type {
  SignOptions,
  TokenResponse,
  TokenResponseOptions,
} from './interfaces/token-response.interface.js';
import {
  InjectJwtAuthOptions,
  type ResolvedJwtAuthOptions,
} from './jwt-auth.options.js';
import type { ResolvedKey } from './keys/resolve-keys.js';
import { RevocationService } from './revocation/revocation.service.js';
import { invalidScopeToken, isScopeValue } from './scope.js';
import { TokenVerifier } from './token.verifier.js';
import { parseUserId } from './user-id.js';

/** Registered claims the service sets itself and a caller may not pass. */
const MANAGED_CLAIMS = ['iat', 'exp', 'nbf', 'jti', 'iss', 'aud'] as const;

/**
 * Signs access tokens with @nestjs/jwt's `JwtService`, and verifies them by
 * the same rules as `JwtAuthGuard`.
 */
@Injectable()
export class TokenService {
  constructor(
    @InjectJwtAuthOptions() private readonly options: ResolvedJwtAuthOptions,
    private readonly jwt: JwtService,
    private readonly verifier: TokenVerifier,
    private readonly revocation: RevocationService,
  ) {}

  /**
   * Signs a copy of `claims` as a compact JWT, adding `iat` and `exp` (UTC
   * seconds, RFC 7519 2 NumericDate), a random `jti`, and `iss` and `aud`
   * when configured, with the signing key, whose `kid` the header carries.
   * `sub` is written as a string (RFC 7519 4.1.2). A
   * `scope` claim must be scope-tokens separated by single spaces
   * (RFC 8693 4.2, RFC 6749 3.3).
   *
   * @throws TypeError when `sub` is not a user id, `scope` is not a scope
   *   value, or a managed claim is passed.
   */
  async sign(claims: ClaimsToSign, options: SignOptions = {}): Promise<string> {
    const userId = parseUserId(claims.sub);
    if (userId === undefined) {
      throw new TypeError(
        'TokenService.sign(): claim "sub" must be a non-negative safe integer or its canonical decimal string',
      );
    }
    const managed = MANAGED_CLAIMS.find((name) => Object.hasOwn(claims, name));
    if (managed !== undefined) {
      throw new TypeError(
        `TokenService.sign(): claim "${managed}" is set by the module`,
      );
    }
    if (claims.scope !== undefined && !isScopeValue(claims.scope)) {
      throw new TypeError(
        'TokenService.sign(): claim "scope" must be scope-tokens (printable ASCII without space, " or \\) separated by single spaces',
      );
    }
    const expiresIn = options.expiresIn ?? this.options.expiresIn;
    if (
      !Number.isSafeInteger(expiresIn) ||
      expiresIn <= 0 ||
      expiresIn > this.options.expiresIn
    ) {
      throw new TypeError(
        `TokenService.sign(): "expiresIn" must be a whole number of seconds from 1 to the module's expiresIn (${this.options.expiresIn})`,
      );
    }

    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      ...claims,
      sub: String(userId),
      iat: now,
      exp: now + expiresIn,
      jti: randomUUID(),
    };
    if (this.options.issuer !== undefined) payload.iss = this.options.issuer;
    if (this.options.audience !== undefined)
      payload.aud = this.options.audience[0];

    const { kid, algorithm, signKey } = this.signing();
    // A new object each call: JwtService deletes the key from it.
    return this.jwt.signAsync(payload, {
      secret: signKey,
      algorithm,
      ...(kid === undefined ? {} : { keyid: kid }),
    } as unknown as JwtSignOptions);
  }

  /** The key that signs, with its secret or private key. */
  private signing(): ResolvedKey & { readonly signKey: KeyObject } {
    const { keys } = this.options;
    const signing = keys.source === 'local' ? keys.signing : undefined;
    if (signing?.signKey === undefined) {
      throw new Error(
        keys.source === 'remote'
          ? 'TokenService.sign(): this module verifies the tokens of an identity provider (jwks) and signs none'
          : 'TokenService.sign(): no key of "keys" has its private key',
      );
    }
    return signing as ResolvedKey & { readonly signKey: KeyObject };
  }

  /**
   * The RFC 6749 5.1 token response for a user: `{ access_token,
   * token_type: 'Bearer', expires_in }`, and `scope` when `options.scopes`
   * grants any (then also the token's `scope` claim).
   *
   * @throws TypeError for a scope that is not a scope-token, and as `sign()`.
   */
  async createTokenResponse(
    userId: string | number,
    options: TokenResponseOptions = {},
  ): Promise<TokenResponse> {
    const expiresIn = options.expiresIn ?? this.options.expiresIn;
    const scopes = options.scopes ?? [];
    const invalid = invalidScopeToken(scopes);
    if (invalid !== undefined) {
      throw new TypeError(
        `TokenService.createTokenResponse(): ${invalid} is not a scope-token (RFC 6749 3.3)`,
      );
    }
    const granted =
      scopes.length === 0 ? {} : { scope: [...new Set(scopes)].join(' ') };
    return {
      access_token: await this.sign({ sub: userId, ...granted }, { expiresIn }),
      token_type: 'Bearer',
      expires_in: expiresIn,
      ...granted,
    };
  }

  /**
   * Verifies a compact token and returns its user id with its claims.
   *
   * @throws InvalidTokenError with a stable `code` when the token is refused
   *   (`token_revoked` once revoked).
   * @throws RevocationUnavailableError when the revocation store cannot say
   *   (unless `revocation.failOpen`).
   */
  async verify(token: string): Promise<AuthenticatedUser> {
    const user = await this.verifier.verify(token);
    await this.revocation.assertNotRevoked(user);
    return user;
  }

  /**
   * Revokes a token until it expires: given as its text (verified first, so
   * that only real tokens take room), or as the `AuthenticatedUser` the
   * guard put on the request.
   *
   * @throws InvalidTokenError for a token that is not valid.
   * @throws RevocationUnavailableError when the store cannot record it.
   */
  async revoke(token: string | AuthenticatedUser): Promise<void> {
    const user =
      typeof token === 'string' ? await this.verifier.verify(token) : token;
    await this.revocation.revokeToken(user);
  }

  /**
   * Revokes every token of a user issued until now ("log out everywhere",
   * a password change). Tokens issued in this same second are revoked too:
   * `iat` has a resolution of one second.
   *
   * @throws RevocationUnavailableError when the store cannot record it.
   */
  async revokeAllForUser(userId: number): Promise<void> {
    if (typeof userId !== 'number' || parseUserId(userId) === undefined) {
      throw new TypeError(
        'TokenService.revokeAllForUser(): userId must be a non-negative safe integer',
      );
    }
    await this.revocation.revokeUser(userId);
  }
}
