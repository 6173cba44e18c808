import {
  createHash,
  generateKeyPair,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import {
  JWT_ALGORITHMS,
  MIN_RSA_BITS,
  type AsymmetricJwtAlgorithm,
} from '../keys/jwt-algorithms.js';
import type { GenerateKeyCommand } from './arguments.js';

const generatePair = promisify(generateKeyPair);

/** A new key, as an entry of the module's `keys` option, in text form. */
export type GeneratedKey =
  | {
      readonly kid: string;
      readonly algorithm: 'HS256' | 'HS384' | 'HS512';
      /** Base64url text of random bytes, as many as the hash's output. */
      readonly secret: string;
    }
  | {
      readonly kid: string;
      readonly algorithm: AsymmetricJwtAlgorithm;
      /** PKCS#8 PEM. */
      readonly privateKey: string;
      /** SPKI PEM. */
      readonly publicKey: string;
    };

/**
 * A new key for `algorithm`: an HMAC secret of as many random bytes as the
 * hash's output (RFC 7518 3.2), an RSA key pair of `bits` bits, or an EC
 * key pair on the algorithm's curve. Its `kid` is the one given, or the
 * key's JWK thumbprint (a pair), or 16 random bytes (a secret).
 */
export async function generateKey({
  algorithm,
  kid,
  bits,
}: GenerateKeyCommand): Promise<GeneratedKey> {
  const family = JWT_ALGORITHMS[algorithm];
  if (family.kind === 'hmac') {
    return {
      kid: kid ?? randomBytes(16).toString('base64url'),
      algorithm: algorithm as 'HS256' | 'HS384' | 'HS512',
      secret: randomBytes(family.minimumBytes).toString('base64url'),
    };
  }
  // A plain RSA key, also for PS*: an RSA-PSS key has no JWK form.
  const { privateKey, publicKey } =
    family.kind === 'rsa'
      ? await generatePair('rsa', { modulusLength: bits ?? MIN_RSA_BITS })
      : await generatePair('ec', { namedCurve: family.curve });
  return {
    kid: kid ?? jwkThumbprint(publicKey),
    algorithm: algorithm as AsymmetricJwtAlgorithm,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/**
 * The JWK thumbprint of an RSA or EC public key (no other kind is made):
 * the SHA-256 of its required members in lexicographic order, without
 * whitespace, in base64url.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3.2
 */
export function jwkThumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const members =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash('sha256')
    .update(JSON.stringify(members))
    .digest('base64url');
}

/**
 * What `keys generate` prints: with `json`, the entry of `keys` as pretty
 * JSON; otherwise the private then the public key's PEM, or the secret
 * alone on a line.
 */
export function formatGeneratedKey(key: GeneratedKey, json: boolean): string {
  if (json) return `${JSON.stringify(key, null, 2)}\n`;
  return 'secret' in key
    ? `${key.secret}\n`
    : `${key.privateKey}${key.publicKey}`;
}
