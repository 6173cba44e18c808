import { Inject } from '@nestjs/common';
import { JwtAuthOptionsError } from './errors/jwt-auth-options.error.js';
import type {
  JwtAuthModuleOptions,
  RevocationOptions,
} from './interfaces/jwt-auth-module-options.interface.js';
import { resolveKeys, type ResolvedKeys } from './keys/resolve-keys.js';
import { wholeNumber } from './option-values.js';
import type { RedisCommandClient } from './revocation/redis-revocation.store.js';
import type { RevocationStore } from './revocation/revocation-store.interface.js';

/** Injection token of the validated options (`ResolvedJwtAuthOptions`), internal to the module. */
export const JWT_AUTH_OPTIONS = Symbol('JWT_AUTH_OPTIONS');

/** Injects the module's validated options (`ResolvedJwtAuthOptions`). */
export const InjectJwtAuthOptions = (): PropertyDecorator &
  ParameterDecorator => Inject(JWT_AUTH_OPTIONS);

/**
 * The module's options once validated, with every default applied. Internal
 * to the module: it holds the key.
 */
export interface ResolvedJwtAuthOptions {
  /** The keys that verify, and the one that signs, as `KeyObject`s. */
  readonly keys: ResolvedKeys;
  /** Token lifetime, in seconds. */
  readonly expiresIn: number;
  /** `iss` to sign and require, if any. */
  readonly issuer: string | undefined;
  /** `aud` values to accept, the first signed, if any. */
  readonly audience: readonly string[] | undefined;
  /** Clock leeway, in seconds. */
  readonly clockTolerance: number;
  /** Longest token accepted, in characters. */
  readonly maxTokenLength: number;
  /** Verified tokens remembered; 0 for none. */
  readonly tokenCacheSize: number;
  /** The challenge's realm. */
  readonly realm: string;
  /** Revocation, with its defaults applied. */
  readonly revocation: ResolvedRevocationOptions;
}

/** `RevocationOptions` once validated. */
export interface ResolvedRevocationOptions {
  readonly store: RevocationStore | undefined;
  readonly redis:
    | {
        readonly url: string | undefined;
        readonly client: RedisCommandClient | undefined;
        readonly keyPrefix: string;
        readonly mirror: boolean;
        /** Milliseconds. */
        readonly maxStaleness: number;
      }
    | undefined;
  /** Entries. */
  readonly maxEntries: number;
  /** Milliseconds. */
  readonly timeout: number;
  readonly failOpen: boolean;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof JwtAuthModuleOptions>([
  'secret',
  'algorithm',
  'keys',
  'signingKeyId',
  'jwks',
  'expiresIn',
  'issuer',
  'audience',
  'clockTolerance',
  'maxTokenLength',
  'tokenCacheSize',
  'revocation',
  'realm',
]);

const DEFAULT_EXPIRES_IN = 86_400;
const DEFAULT_MAX_TOKEN_LENGTH = 8192;
const DEFAULT_TOKEN_CACHE_SIZE = 10_000;
const DEFAULT_REALM = 'api';

/** An RFC 7230 quoted-string body that needs no escaping. */
const PLAIN_QUOTED_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * Validates the module options once, at startup, and resolves the defaults.
 * Every fault names its option; the secret's value never appears.
 */
export function resolveJwtAuthOptions(
  options: JwtAuthModuleOptions,
): ResolvedJwtAuthOptions {
  if (typeof options !== 'object' || options === null) {
    throw new JwtAuthOptionsError(
      'options',
      'JwtAuthModule options must be an object',
    );
  }
  const unknown = Object.keys(options).filter(
    (name) => !KNOWN_OPTIONS.has(name),
  );
  if (unknown.length > 0) {
    throw new JwtAuthOptionsError(
      unknown[0],
      `JwtAuthModule: unknown option ${unknown.map((name) => `"${name}"`).join(', ')}`,
    );
  }

  return Object.freeze({
    keys: resolveKeys(options),
    expiresIn: wholeNumber(
      'expiresIn',
      options.expiresIn ?? DEFAULT_EXPIRES_IN,
      1,
      'seconds',
    ),
    issuer: optionalText('issuer', options.issuer),
    audience: resolveAudience(options.audience),
    clockTolerance: wholeNumber(
      'clockTolerance',
      options.clockTolerance ?? 0,
      0,
      'seconds',
    ),
    maxTokenLength: wholeNumber(
      'maxTokenLength',
      options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH,
      1,
      'characters',
    ),
    tokenCacheSize: wholeNumber(
      'tokenCacheSize',
      options.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE,
      0,
      'entries',
    ),
    realm: resolveRealm(options.realm ?? DEFAULT_REALM),
    revocation: resolveRevocation(options.revocation),
  });
}

function resolveRevocation(
  value: RevocationOptions | undefined,
): ResolvedRevocationOptions {
  const revocation: RevocationOptions = value ?? {};
  if (typeof revocation !== 'object' || revocation === null) {
    throw new JwtAuthOptionsError(
      'revocation',
      'JwtAuthModule option "revocation" must be an object',
    );
  }
  const { store, redis } = revocation;
  if (store !== undefined && !isRevocationStore(store)) {
    throw new JwtAuthOptionsError(
      'revocation.store',
      'JwtAuthModule option "revocation.store" must implement revokeToken, revokeUser and lookup',
    );
  }
  let resolvedRedis: ResolvedRevocationOptions['redis'];
  if (redis !== undefined) {
    const {
      url,
      client,
      keyPrefix = 'jwt-auth:revoked:',
      mirror = true,
      maxStaleness = 1000,
    } = redis;
    if ((url === undefined) === (client === undefined)) {
      throw new JwtAuthOptionsError(
        'revocation.redis',
        'JwtAuthModule option "revocation.redis" needs exactly one of "url" and "client"',
      );
    }
    if (
      url !== undefined &&
      (typeof url !== 'string' ||
        !/^rediss?:\/\//.test(url) ||
        !URL.canParse(url))
    ) {
      throw new JwtAuthOptionsError(
        'revocation.redis.url',
        'JwtAuthModule option "revocation.redis.url" must be a redis:// or rediss:// URL',
      );
    }
    if (
      client !== undefined &&
      typeof (client as Partial<RedisCommandClient>).call !== 'function'
    ) {
      throw new JwtAuthOptionsError(
        'revocation.redis.client',
        'JwtAuthModule option "revocation.redis.client" must be a Redis client with call() (ioredis)',
      );
    }
    if (typeof keyPrefix !== 'string') {
      throw new JwtAuthOptionsError(
        'revocation.redis.keyPrefix',
        'JwtAuthModule option "revocation.redis.keyPrefix" must be a string',
      );
    }
    if (typeof mirror !== 'boolean') {
      throw new JwtAuthOptionsError(
        'revocation.redis.mirror',
        'JwtAuthModule option "revocation.redis.mirror" must be a boolean',
      );
    }
    if (
      mirror &&
      client !== undefined &&
      typeof (client as { duplicate?: unknown }).duplicate !== 'function'
    ) {
      throw new JwtAuthOptionsError(
        'revocation.redis.client',
        'JwtAuthModule option "revocation.redis.client" must be an ioredis client (with duplicate()) for the mirror; set "revocation.redis.mirror" to false to ask Redis on every check',
      );
    }
    const clientPrefix = (client as { options?: { keyPrefix?: unknown } })
      ?.options?.keyPrefix;
    if (mirror && typeof clientPrefix === 'string' && clientPrefix !== '') {
      throw new JwtAuthOptionsError(
        'revocation.redis.client',
        'JwtAuthModule option "revocation.redis.client" has an ioredis keyPrefix, which the mirror\'s SCAN does not apply; use "revocation.redis.keyPrefix" instead',
      );
    }
    resolvedRedis = Object.freeze({
      url,
      client,
      keyPrefix,
      mirror,
      maxStaleness: wholeNumber(
        'revocation.redis.maxStaleness',
        maxStaleness,
        50,
        'milliseconds',
        60_000,
      ),
    });
  }
  if (
    revocation.failOpen !== undefined &&
    typeof revocation.failOpen !== 'boolean'
  ) {
    throw new JwtAuthOptionsError(
      'revocation.failOpen',
      'JwtAuthModule option "revocation.failOpen" must be a boolean',
    );
  }
  return Object.freeze({
    store,
    redis: resolvedRedis,
    maxEntries: wholeNumber(
      'revocation.maxEntries',
      revocation.maxEntries ?? 100_000,
      1,
      'entries',
    ),
    timeout: wholeNumber(
      'revocation.timeout',
      revocation.timeout ?? 250,
      1,
      'milliseconds',
      60_000,
    ),
    failOpen: revocation.failOpen ?? false,
  });
}

function isRevocationStore(value: unknown): value is RevocationStore {
  const store = value as Partial<RevocationStore> | null;
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof store.revokeToken === 'function' &&
    typeof store.revokeUser === 'function' &&
    typeof store.lookup === 'function'
  );
}

function optionalText(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new JwtAuthOptionsError(
      option,
      `JwtAuthModule option "${option}" must be a non-empty string when set`,
    );
  }
  return value;
}

function resolveAudience(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (
    list.length === 0 ||
    !list.every((item) => typeof item === 'string' && item.length > 0)
  ) {
    throw new JwtAuthOptionsError(
      'audience',
      'JwtAuthModule option "audience" must be a non-empty string or a non-empty array of them',
    );
  }
  return Object.freeze(list as string[]);
}

function resolveRealm(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    !PLAIN_QUOTED_STRING.test(value)
  ) {
    throw new JwtAuthOptionsError(
      'realm',
      'JwtAuthModule option "realm" must be non-empty printable ASCII without " or \\',
    );
  }
  return value;
}
