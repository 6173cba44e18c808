import { Logger } from '@nestjs/common';
import { createLocalJWKSet, createRemoteJWKSet, errors } from 'jose';
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
 * An external provider's keys, fetched by jose's remote JWK Set from the
 * one configured URL (or the `jwks_uri` its issuer's OpenID metadata
 * names): fetched on first use, again on the first token after
 * `cacheMaxAge`, and again for a `kid` the set does not hold, at most once
 * per `cooldown` (a flood of made-up `kid`s costs one fetch); the first
 * token signed with a key the provider has just added is accepted, unless
 * another unknown `kid` was looked up within `cooldown`.
 *
 * Fails closed: when the keys cannot be fetched, a token is answered with
 * `KeySetUnavailableError` (503), and no other fetch is made for
 * `cooldown`; meanwhile, the keys of a set fetched less than `cacheMaxAge`
 * ago still verify their tokens.
 */
export class RemoteKeySet implements KeyRing {
  readonly algorithms: readonly JwtAlgorithm[];
  private readonly logger = new Logger('JwtAuth');
  private remote: RemoteJwks | undefined;
  private discovering: Promise<RemoteJwks> | undefined;
  /** `performance.now()` of the last failed fetch. */
  private failedAt = Number.NEGATIVE_INFINITY;
  /** `performance.now()` of the last fetch an unknown `kid` started. */
  private refetchedAt = Number.NEGATIVE_INFINITY;
  /** `performance.now()` of the last fetch that brought a set. */
  private fetchedAt = Number.NEGATIVE_INFINITY;
  /**
   * The keys of the set fetched last that tokens named, by `alg` and `kid`,
   * made once each (as many as the set has); emptied by every fetch.
   */
  private readonly found = new Map<string, VerificationKey>();
  /** A lookup in the set fetched last; dropped by every fetch. */
  private lookupInSet: KeyLookup | undefined;

  constructor(private readonly options: RemoteKeys) {
    this.algorithms = options.algorithms;
    if (options.uri !== undefined) this.remote = this.open(options.uri);
  }

  /** Until the set in hand is due to be fetched again. */
  rememberFor(): number {
    return Math.max(
      0,
      this.fetchedAt + this.options.cacheMaxAge - performance.now(),
    );
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
    try {
      const remote = this.remote ?? (await this.discover());
      let fetched = false;
      if (!remote.fresh) {
        await this.reload(remote);
        fetched = true;
      }
      let found = await this.keyIn(remote, alg, header.kid);
      if (found === undefined && !fetched) {
        // Out of reach, the provider cannot say whether the kid is new.
        this.assertNotCoolingDown();
        if (performance.now() - this.refetchedAt >= this.options.cooldown) {
          this.refetchedAt = performance.now();
          await this.reload(remote);
          found = await this.keyIn(remote, alg, header.kid);
        }
      }
      if (found === undefined) throw new InvalidTokenError('unknown_key');
      return found;
    } catch (error) {
      throw refusalFor(error);
    }
  }

  /** Fetches the set, unless a fetch failed within `cooldown`. */
  private async reload(remote: RemoteJwks): Promise<void> {
    this.assertNotCoolingDown();
    try {
      await remote.reload();
    } catch (error) {
      throw this.failed(error);
    }
    this.fetchedAt = performance.now();
    this.found.clear();
    this.lookupInSet = undefined;
  }

  /**
   * The key of the set fetched last for `alg` and `kid`, once found to fit;
   * `undefined` when the set has none.
   *
   * @throws InvalidTokenError when the set's key does not fit its algorithm.
   */
  private async keyIn(
    remote: RemoteJwks,
    alg: AsymmetricJwtAlgorithm,
    kid: string | undefined,
  ): Promise<VerificationKey | undefined> {
    const name = `${alg} ${kid ?? ''}`;
    const known = this.found.get(name);
    if (known !== undefined) return known;
    const json = remote.jwks();
    if (json === undefined) return undefined;
    this.lookupInSet ??= createLocalJWKSet(json);
    let key: FoundKey;
    try {
      key = await this.lookupInSet({ alg, kid });
    } catch (error) {
      // Not remembered: made-up kids would fill the map.
      if (error instanceof errors.JWKSNoMatchingKey) return undefined;
      throw error;
    }
    const entry = verificationKey(key, alg);
    this.found.set(name, entry);
    return entry;
  }

  /** Remembers a failed fetch, logs it once, and returns the 503's error. */
  private failed(error: unknown): KeySetUnavailableError {
    this.failedAt = performance.now();
    this.logger.warn(
      `The identity provider keys could not be fetched (${describe(error)}); no other fetch for ${this.options.cooldown} ms`,
    );
    return unavailable(error);
  }

  private assertNotCoolingDown(): void {
    if (performance.now() - this.failedAt < this.options.cooldown) {
      throw unavailable(undefined);
    }
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
    this.assertNotCoolingDown();
    this.discovering ??= this.readMetadata().then(
      (uri) => (this.remote = this.open(uri)),
      (error: unknown) => {
        this.discovering = undefined;
        throw this.failed(error);
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

/**
 * The refusal for an error met looking a key up: a failed fetch is the
 * 503; a key of the set that jose cannot use, or that is several, is no
 * key for the token.
 */
function refusalFor(error: unknown): Error {
  return error instanceof InvalidTokenError ||
    error instanceof KeySetUnavailableError
    ? error
    : new InvalidTokenError('unknown_key', { cause: error });
}

/** The key as a `KeyObject` for jsonwebtoken, once found to fit its algorithm. */
function verificationKey(
  found: FoundKey,
  alg: AsymmetricJwtAlgorithm,
): VerificationKey {
  const key = found instanceof KeyObject ? found : KeyObject.from(found);
  if (key.type !== 'public' || keyFault(key, alg) !== undefined) {
    throw new InvalidTokenError('unknown_key');
  }
  return Object.freeze({ key, algorithms: Object.freeze([alg] as const) });
}

function unavailable(cause: unknown): KeySetUnavailableError {
  return new KeySetUnavailableError(
    'The identity provider keys could not be fetched',
    cause === undefined ? undefined : { cause },
  );
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  return error.name === 'Error' || error.name === 'JOSEError'
    ? error.message
    : error.name;
}
