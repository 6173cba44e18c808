import type { KeyObject } from 'node:crypto';
import { InvalidTokenError } from '../errors/invalid-token.error.js';
import type { JwtAlgorithm } from '../interfaces/jwt-auth-module-options.interface.js';
import { RemoteKeySet } from './remote-key-set.js';
import type { LocalKeys, ResolvedKeys } from './resolve-keys.js';

/** The header fields that choose a token's key (RFC 7515 4.1.1, 4.1.4). */
export interface TokenHeader {
  readonly alg: string;
  readonly kid: string | undefined;
}

/** A key that verifies tokens, with the one algorithm it is used with. */
export interface VerificationKey {
  readonly key: KeyObject;
  /** The key's algorithm, alone: what jsonwebtoken is told to accept. */
  readonly algorithms: readonly [JwtAlgorithm];
}

/** Where the verifier finds the key of a token. */
export interface KeyRing {
  /** Every algorithm some key is used with: any other is refused unread. */
  readonly algorithms: readonly JwtAlgorithm[];
  /**
   * How long a token verified now may be remembered without asking for its
   * key again, in milliseconds: until the set of keys in hand is due to be
   * fetched again, so that a key removed at a provider retires its tokens
   * within `cacheMaxAge`.
   */
  rememberFor(): number;
  /**
   * The key of a token whose header is `header`.
   *
   * @throws InvalidTokenError (`algorithm_not_allowed`, `unknown_key`).
   * @throws KeySetUnavailableError, in the promise, when a provider's keys
   *   cannot be fetched.
   */
  keyFor(header: TokenHeader): VerificationKey | Promise<VerificationKey>;
}

/** The key ring of the resolved options. */
export function keyRingFor(keys: ResolvedKeys): KeyRing {
  return keys.source === 'local'
    ? new LocalKeyRing(keys)
    : new RemoteKeySet(keys);
}

/**
 * The application's own keys: a token's `kid` names its key, which must be
 * used with the token's `alg`. A single key without a `kid` takes every
 * token, whatever its `kid`.
 */
class LocalKeyRing implements KeyRing {
  readonly algorithms: readonly JwtAlgorithm[];

  private readonly byKid = new Map<string | undefined, VerificationKey>();
  private readonly only: VerificationKey | undefined;

  constructor(keys: LocalKeys) {
    for (const { kid, algorithm, verifyKey } of keys.list) {
      this.byKid.set(
        kid,
        Object.freeze({
          key: verifyKey,
          algorithms: Object.freeze([algorithm] as const),
        }),
      );
    }
    this.algorithms = Object.freeze([
      ...new Set(keys.list.map(({ algorithm }) => algorithm)),
    ]);
    const [first] = keys.list;
    this.only =
      keys.list.length === 1 && first.kid === undefined
        ? this.byKid.get(undefined)
        : undefined;
  }

  /** For ever: the keys change only with the options. */
  rememberFor(): number {
    return Number.POSITIVE_INFINITY;
  }

  keyFor({ alg, kid }: TokenHeader): VerificationKey {
    const entry = this.only ?? this.byKid.get(kid);
    if (entry === undefined) {
      throw new InvalidTokenError(
        (this.algorithms as readonly string[]).includes(alg)
          ? 'unknown_key'
          : 'algorithm_not_allowed',
      );
    }
    if (entry.algorithms[0] !== alg) {
      throw new InvalidTokenError('algorithm_not_allowed');
    }
    return entry;
  }
}
