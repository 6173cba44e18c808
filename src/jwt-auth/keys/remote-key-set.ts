import { Logger } from '@nestjs/common';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
} from 'jose';
import { KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { InvalidTokenError } from '../errors/invalid-token.error.js';
import { KeySetUnavailableError } from '../errors/key-set-unavailable.error.js';
import type { JwtAlgorithm } from '../interfaces/jwt-auth-module-options.interface.js';
import type { KeyRing, TokenHeader, VerificationKey } from './key-ring.js';
import type { AsymmetricJwtAlgorithm } from './jwt-algorithms.js';
import { fetchableUrl, keyFault, type RemoteKeys } from './resolve-keys.js';

type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;
/** A lookup of a key by its header, in a set at hand. */
type KeyLookup = (header: { alg: string; kid?: string }) => Promise<FoundKey>;

/** The key jose found for a header: a Web Crypto key in Node. */
type FoundKey = Awaited<ReturnType<RemoteJwks>>;

/**
 * An external provider's keys, through jose's remote JWK Set: fetched from
 * the one configured URL (or the `jwks_uri` its issuer's OpenID metadata
 * names), kept for `cacheMaxAge`, and fetched again for a `kid` it does not
 * hold, at most once per `cooldown`.
 *
 * Fails closed: when the keys cannot be fetched, a token is answered with
 * `KeySetUnavailableError` (503), and no other fetch is made for `cooldown`;
 * meanwhile, keys of a set fetched less than `cacheMaxAge` ago still verify.
 */
export class RemoteKeySet implements KeyRing {
  readonly algorithms: readonly JwtAlgorithm[];
  readonly rememberFor: number;
  private readonly logger = new Logger('JwtAuth');
  private remote: RemoteJwks | undefined;
  private discovering: Promise<RemoteJwks> | undefined;
  /** `performance.now()` of the last failed fetch. */
  private failedAt = Number.NEGATIVE_INFINITY;
  /** A lookup in the last set fetched, for while fetches fail. */
  private last: { json: JSONWebKeySet; lookup: KeyLookup } | undefined;
  private readonly converted = new WeakMap<object, VerificationKey>();

  constructor(private readonly options: RemoteKeys) {
    this.algorithms = options.algorithms;
    this.rememberFor = options.cacheMaxAge;
    if (options.uri !== undefined) this.remote = this.open(options.uri);
  }

  keyFor(header: TokenHeader): Promise<VerificationKey> {
    if (!(this.algorithms as readonly string[]).includes(header.alg)) {
      throw new InvalidTokenError('algorithm_not_allowed');
    }
    return this.fetchKey(header, header.alg as AsymmetricJwtAlgorithm);
  }

  private async fetchKey(
    header: TokenHeader,
    alg: AsymmetricJwtAlgorithm,
  ): Promise<VerificationKey> {
    const jose = { alg, kid: header.kid };
    let found: FoundKey;
    try {
      found =
        performance.now() - this.failedAt < this.options.cooldown
          ? await this.lastSet()(jose)
          : await (this.remote ?? (await this.discover()))(jose);
    } catch (error) {
      throw this.refusalFor(error);
    }
    return this.verificationKey(found, alg);
  }

  /**
   * A lookup in the set fetched last, while it is fresh: no fetch. A `kid`
   * it does not hold cannot be told from a new key of the provider's.
   */
  private lastSet(): KeyLookup {
    const json = this.remote?.jwks();
    if (json === undefined || this.remote?.fresh !== true) {
      throw new KeySetUnavailableError(
        'The identity provider keys could not be fetched',
      );
    }
    if (this.last?.json !== json) {
      this.last = { json, lookup: createLocalJWKSet(json) };
    }
    const { lookup } = this.last;
    return async (header) => {
      try {
        return await lookup(header);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey) {
          throw new KeySetUnavailableError(
            'The identity provider keys could not be fetched',
          );
        }
        throw error;
      }
    };
  }

  /** The refusal for an error met looking a key up; a failed fetch is remembered. */
  private refusalFor(error: unknown): Error {
    if (
      error instanceof InvalidTokenError ||
      error instanceof KeySetUnavailableError
    ) {
      return error;
    }
    if (
      error instanceof errors.JWKSNoMatchingKey ||
      error instanceof errors.JWKSMultipleMatchingKeys ||
      error instanceof errors.JOSENotSupported ||
      error instanceof errors.JOSEAlgNotAllowed
    ) {
      return new InvalidTokenError('unknown_key', { cause: error });
    }
    this.failedAt = performance.now();
    this.logger.warn(
      `The identity provider keys could not be fetched (${describe(error)}); tokens without a known key get 503 for ${this.options.cooldown} ms`,
    );
    return new KeySetUnavailableError(
      'The identity provider keys could not be fetched',
      { cause: error },
    );
  }

  /** The key as a `KeyObject` for jsonwebtoken, once it is found to fit. */
  private verificationKey(
    found: FoundKey,
    alg: AsymmetricJwtAlgorithm,
  ): VerificationKey {
    let entry = this.converted.get(found);
    if (entry === undefined) {
      const key = found instanceof KeyObject ? found : KeyObject.from(found);
      if (key.type !== 'public' || keyFault(key, alg) !== undefined) {
        throw new InvalidTokenError('unknown_key');
      }
      entry = Object.freeze({ key, algorithms: Object.freeze([alg] as const) });
      this.converted.set(found, entry);
    }
    return entry;
  }

  private open(uri: URL): RemoteJwks {
    const { cacheMaxAge, cooldown, timeout } = this.options;
    return createRemoteJWKSet(uri, {
      cacheMaxAge,
      cooldownDuration: cooldown,
      timeoutDuration: timeout,
    });
  }

  /** The JWK Set named by the issuer's OpenID Provider metadata, once found. */
  private discover(): Promise<RemoteJwks> {
    this.discovering ??= this.readMetadata().then(
      (uri) => (this.remote = this.open(uri)),
      (error: unknown) => {
        this.discovering = undefined;
        throw error;
      },
    );
    return this.discovering;
  }

  /**
   * `jwks_uri` of `<issuer>/.well-known/openid-configuration`, whose
   * `issuer` must be the configured one (OpenID Connect Discovery 1.0 4.3).
   */
  private async readMetadata(): Promise<URL> {
    const { issuer, timeout } = this.options;
    const response = await fetch(
      `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
      {
        redirect: 'manual',
        signal: AbortSignal.timeout(timeout),
        headers: { accept: 'application/json' },
      },
    );
    if (response.status !== 200) {
      throw new Error(`the OpenID metadata answered ${response.status}`);
    }
    const metadata = (await response.json()) as {
      issuer?: unknown;
      jwks_uri?: unknown;
    } | null;
    if (metadata?.issuer !== issuer) {
      throw new Error('the OpenID metadata names another issuer');
    }
    try {
      return fetchableUrl('jwks_uri', metadata.jwks_uri);
    } catch {
      throw new Error(
        'the OpenID metadata has no https:// jwks_uri (http:// on a loopback address only)',
      );
    }
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  return error.name === 'Error' || error.name === 'JOSEError'
    ? error.message
    : error.name;
}
