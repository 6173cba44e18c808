import { createPublicKey, type KeyObject } from 'node:crypto';
import { JwtAuthOptionsError } from '../errors/jwt-auth-options.error.js';
import {
  isAsymmetric,
  JWT_ALGORITHMS,
  type AsymmetricJwtAlgorithm,
} from '../keys/jwt-algorithms.js';
import type { ResolvedKey, ResolvedKeys } from '../keys/resolve-keys.js';

/** The members every published key carries besides its own. */
interface PublishedKeyMembers {
  /** The `kid` of the key; absent for a key without one. */
  readonly kid?: string;
  readonly use: 'sig';
  readonly alg: AsymmetricJwtAlgorithm;
}

/**
 * A public key as a JWK, for signatures: RSA (and RSA-PSS) by its modulus
 * and exponent, EC by its curve and point.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-6.3.1
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-6.2.1
 */
export type PublicJwk =
  | (PublishedKeyMembers & {
      readonly kty: 'RSA';
      readonly n: string;
      readonly e: string;
    })
  | (PublishedKeyMembers & {
      readonly kty: 'EC';
      readonly crv: string;
      readonly x: string;
      readonly y: string;
    });

/** @see https://www.rfc-editor.org/rfc/rfc7517#section-5 */
export interface PublicJwkSet {
  readonly keys: readonly PublicJwk[];
}

/**
 * The JWK Set that the `publishJwks` extra serves: the public key of every
 * RSA, RSA-PSS and EC key of `keys`, including those this instance holds
 * no private key for (a retired key, or another instance's), since that is
 * how others verify the tokens signed with them. HMAC secrets are never in
 * it.
 *
 * @throws JwtAuthOptionsError when there is no public key to publish:
 *   with `jwks`, or with HMAC keys alone.
 */
export function publicJwkSet(keys: ResolvedKeys): PublicJwkSet {
  if (keys.source === 'remote') {
    throw new JwtAuthOptionsError(
      'publishJwks',
      'JwtAuthModule option "publishJwks" has nothing to publish with "jwks": the identity provider signs the tokens and publishes its own keys',
    );
  }
  const published = keys.list.flatMap((key) => {
    const jwk = publicJwk(key);
    return jwk === undefined ? [] : [jwk];
  });
  if (published.length === 0) {
    throw new JwtAuthOptionsError(
      'publishJwks',
      'JwtAuthModule option "publishJwks" needs an RSA or EC key in "keys": an HMAC secret both signs and verifies, so it is never published',
    );
  }
  return Object.freeze({ keys: Object.freeze(published) });
}

/**
 * The JWK of a key's public half, or `undefined` for an HMAC secret. Only
 * the public members are copied from Node's export, by name: whatever else
 * an export holds is left behind.
 */
export function publicJwk(key: ResolvedKey): PublicJwk | undefined {
  const { kid, algorithm } = key;
  if (!isAsymmetric(algorithm)) return undefined;
  const members: PublishedKeyMembers = {
    ...(kid === undefined ? {} : { kid }),
    use: 'sig',
    alg: algorithm,
  };
  if (JWT_ALGORITHMS[algorithm].kind === 'rsa') {
    const { n, e } = asRsaKey(key.verifyKey).export({ format: 'jwk' }) as {
      n: string;
      e: string;
    };
    return { kty: 'RSA', ...members, n, e };
  }
  const { crv, x, y } = key.verifyKey.export({ format: 'jwk' }) as {
    crv: string;
    x: string;
    y: string;
  };
  return { kty: 'EC', ...members, crv, x, y };
}

/**
 * The key itself for an RSA key; for an RSA-PSS key, which Node does not
 * export as a JWK, the RSA key of the same modulus and exponent (a JWK has
 * one key type for both, RFC 7518 6.3).
 */
function asRsaKey(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'rsa-pss') return key;
  const spki = (key.type === 'private' ? createPublicKey(key) : key).export({
    type: 'spki',
    format: 'der',
  });
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
  // subjectPublicKey BIT STRING }, whose bits are the PKCS#1
  // RSAPublicKey after a byte that counts the unused bits (0).
  const info = derElement(spki, 0);
  const algorithm = derElement(spki, info.start);
  const bits = derElement(spki, algorithm.end);
  return createPublicKey({
    key: spki.subarray(bits.start + 1, bits.end),
    format: 'der',
    type: 'pkcs1',
  });
}

/** Where the contents of the DER element at `offset` start and end. */
function derElement(
  der: Buffer,
  offset: number,
): { start: number; end: number } {
  const first = der[offset + 1];
  if (first < 0x80) return { start: offset + 2, end: offset + 2 + first };
  // Long form: the low bits count the bytes of the length that follow.
  const count = first & 0x7f;
  const start = offset + 2 + count;
  return { start, end: start + der.readUIntBE(offset + 2, count) };
}
