import type { KeyObject } from 'node:crypto';
import type { RedisCommandClient } from '../revocation/redis-revocation.store.js';
import type { RevocationStore } from '../revocation/revocation-store.interface.js';

/**
 * The algorithms the module signs and verifies with: HMAC with SHA-2, RSA
 * PKCS#1 v1.5, RSA-PSS and ECDSA.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.1
 */
export type JwtAlgorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512';

/** A key as PEM text (or its bytes) or a `KeyObject`. */
export type KeyMaterial = string | Uint8Array | KeyObject;

/**
 * One key of `keys`, for one algorithm only (RFC 8725 3.1): an HMAC secret,
 * or an RSA or EC key pair (the private key only on the instances that
 * sign; the public key is derived from it when left out).
 */
export type JwtKey =
  | {
      /** The `kid` tokens signed with it carry. */
      readonly kid?: string;
      readonly algorithm: 'HS256' | 'HS384' | 'HS512';
      /** At least 32, 48 or 64 bytes for HS256, HS384 or HS512. */
      readonly secret: string | Uint8Array | KeyObject;
    }
  | {
      readonly kid?: string;
      readonly algorithm: Exclude<JwtAlgorithm, 'HS256' | 'HS384' | 'HS512'>;
      /** PEM (PKCS#8, PKCS#1 or SEC1) or a private `KeyObject`. */
      readonly privateKey?: KeyMaterial;
      /** PEM (SPKI or PKCS#1), or a public `KeyObject`. */
      readonly publicKey?: KeyMaterial;
    };

/**
 * Tokens of an external identity provider, verified with the keys of its
 * JWK Set (RFC 7517 5), fetched from `uri`, or from the `jwks_uri` of the
 * OpenID Provider metadata of the module's `issuer` (OpenID Connect
 * Discovery 1.0). Only that URL is ever fetched: a token's `jku` or `x5u`
 * is not followed.
 */
export interface JwksOptions {
  /** The JWK Set's `https:` URL (`http:` on a loopback address only). */
  readonly uri?: string;
  /** Or find it in `<issuer>/.well-known/openid-configuration`. */
  readonly discover?: boolean;
  /**
   * The algorithms accepted.
   *
   * @default ['RS256']
   */
  readonly algorithms?: readonly Exclude<
    JwtAlgorithm,
    'HS256' | 'HS384' | 'HS512'
  >[];
  /**
   * How long a fetched key set is used before it is fetched again, in
   * milliseconds.
   *
   * @default 600000 (10 minutes)
   */
  readonly cacheMaxAge?: number;
  /**
   * The shortest time between two fetches that a token with an unknown
   * `kid`, or a failed fetch, starts, in milliseconds.
   *
   * @default 30000
   */
  readonly cooldown?: number;
  /**
   * How long a fetch may take, in milliseconds.
   *
   * @default 5000
   */
  readonly timeout?: number;
}

/** Options of `JwtAuthModule.forRoot()` and of the factory of `forRootAsync()`. */
export interface JwtAuthModuleOptions {
  /**
   * The shared HMAC secret (or `keys`, or `jwks`). Read it from
   * configuration, never from source.
   * It must hold at least as many bytes as the algorithm's hash output:
   * 32 for HS256, 48 for HS384, 64 for HS512.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.2
   */
  secret?: string | Uint8Array | KeyObject;

  /**
   * The one algorithm tokens are signed with and the only one accepted, with
   * `secret`: `HS256`, `HS384` or `HS512`.
   *
   * @default 'HS256'
   */
  algorithm?: 'HS256' | 'HS384' | 'HS512';

  /**
   * Instead of `secret`: keys that can change. Every key verifies the
   * tokens signed with it (the one whose `kid` the token's header names),
   * one signs, and tokens carry its `kid`. Removing a key retires its
   * tokens. A single key without a `kid` verifies every token whatever its
   * header's `kid`, as `secret` does; in a longer list, a key without a
   * `kid` (one at most) verifies the tokens without one.
   */
  keys?: readonly JwtKey[];

  /**
   * The `kid` of the key of `keys` that signs.
   *
   * @default the first key that has a private key or secret
   */
  signingKeyId?: string;

  /**
   * Instead of `secret` or `keys`: verify the tokens of an external
   * identity provider, by its published keys (`TokenService` then signs
   * nothing). Needs `issuer` and `audience`.
   */
  jwks?: JwksOptions;

  /**
   * Lifetime of an access token, in seconds: the default, and the longest a
   * per-token lifetime (`TokenService.sign(claims, { expiresIn })`) may be.
   *
   * @default 86400 (24 hours)
   */
  expiresIn?: number;

  /**
   * When set, signed into every token as `iss` and required on verification.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1.1
   */
  issuer?: string;

  /**
   * When set, signed into every token as `aud` and required on verification.
   * With several values, a token is accepted when its `aud` names any of them,
   * and is signed for the first.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1.3
   */
  audience?: string | readonly string[];

  /**
   * Leeway for clock skew when checking `exp`, `nbf` and `iat`, in seconds.
   *
   * @default 0
   */
  clockTolerance?: number;

  /**
   * The longest token accepted, in characters (bytes: a token is ASCII).
   * Longer ones are refused before any decoding.
   *
   * @default 8192
   */
  maxTokenLength?: number;

  /**
   * How many verified tokens to remember, each served only to its exact
   * text, so that a token presented again to `JwtAuthGuard` skips Passport and
   * jsonwebtoken (its revocation is still checked on every request). A
   * token is remembered from its second verification on, so that tokens
   * used once neither take entries nor push out the ones in use. An entry
   * lives until the token's `exp` at most, and `exp`, `nbf` and `iat` are
   * checked against the clock on every hit. The least recently used entry
   * makes room for a new one. `0` turns the cache off.
   *
   * @default 10000
   */
  tokenCacheSize?: number;

  /**
   * Token revocation (logout): where revocations are kept and what a failing
   * store means. By default, an in-memory store that fails closed.
   */
  revocation?: RevocationOptions;

  /**
   * The `realm` of the `WWW-Authenticate` challenge: printable ASCII without
   * `"` or `\`.
   *
   * @default 'api'
   * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
   */
  realm?: string;
}

/** Where revoked tokens are kept, and what to do when that store fails. */
export interface RevocationOptions {
  /**
   * Keep revocations in Redis, shared by every instance of the application.
   * Needs the `ioredis` package, loaded only then. Without it, revocations
   * live in this process's memory.
   */
  redis?: {
    /** A Redis URL (`redis://host:6379/0`); the module opens and closes the connection. */
    url?: string;
    /**
     * Or a client of the application's own: an `ioredis` client, `Redis` or
     * `Cluster` (the mirror listens to the feed on a `duplicate()` of it, or
     * of a master of the cluster).
     */
    client?: RedisCommandClient;
    /** Prefix of every key, and of the feed channel (`<keyPrefix>feed`). @default 'jwt-auth:revoked:' */
    keyPrefix?: string;
    /**
     * Look revocations up in a mirror in this process's memory, which
     * follows Redis through a pub/sub feed, rather than in Redis on every
     * request. `false` asks Redis each time (one round trip per guarded
     * request), and needs only a client with `call()`.
     *
     * @default true
     */
    mirror?: boolean;
    /**
     * With the mirror: how old, in milliseconds, the last proof that it
     * holds every revocation may be before checks fail closed (503). The
     * feed is proven every quarter of it; a revocation cannot go unseen
     * for longer, even when the feed fails without a word.
     *
     * @default 1000
     */
    maxStaleness?: number;
  };
  /** A store of the application's own; takes precedence over `redis`. */
  store?: RevocationStore;
  /**
   * Capacity of the in-memory store, and of the Redis mirror, in entries
   * (revoked tokens plus users).
   *
   * @default 100000
   */
  maxEntries?: number;
  /**
   * How long a check may wait for the store, in milliseconds.
   *
   * @default 250
   */
  timeout?: number;
  /**
   * When the store fails or is too slow: `false` refuses the request with a
   * 503 and `Retry-After` (fail closed); `true` lets the token through and
   * logs a warning for each such decision (fail open).
   *
   * @default false
   */
  failOpen?: boolean;
}

/** Module definition extras of `forRoot()` and `forRootAsync()`. */
export interface JwtAuthModuleExtras {
  /**
   * Registers the module globally, so that feature modules use
   * `JwtAuthGuard` and `TokenService` without importing it.
   *
   * @default false
   */
  isGlobal?: boolean;

  /**
   * Guards every route of the application with `JwtAuthGuard` (as an
   * `APP_GUARD`); routes marked `@Public()` stay open.
   *
   * @default false
   */
  globalGuard?: boolean;

  /**
   * Serves the public keys of `keys` as a JWK Set at
   * `GET /.well-known/jwks.json` (`@Public()`, so open under
   * `globalGuard`), for other services to verify the module's tokens with:
   * one JWK per RSA, RSA-PSS or EC key, with its `kid`, `alg` and
   * `use: "sig"`, including keys held without their private key. HMAC
   * secrets are never published. Served with
   * `Cache-Control: public, max-age=300`: publish a new key that long
   * before it signs. Startup fails when there is no such key (HMAC keys
   * alone, or `jwks`).
   *
   * @default false
   * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
   */
  publishJwks?: boolean;
}
