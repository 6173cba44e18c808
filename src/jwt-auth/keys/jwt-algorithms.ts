import type { JwtAlgorithm } from '../interfaces/jwt-auth-module-options.interface.js';

/** What an algorithm needs of its key (RFC 7518 3.1). */
export type AlgorithmFamily =
  | { readonly kind: 'hmac'; readonly minimumBytes: number }
  | { readonly kind: 'rsa'; readonly pss: boolean }
  | { readonly kind: 'ec'; readonly curve: string; readonly jwkCurve: string };

/**
 * Every algorithm the module signs and verifies with, and its key: an HMAC
 * secret at least as long as the hash output (RFC 7518 3.2), an RSA key
 * (3.3, 3.5), or an EC key on the algorithm's own curve (3.4).
 */
export const JWT_ALGORITHMS: Readonly<Record<JwtAlgorithm, AlgorithmFamily>> = {
  HS256: { kind: 'hmac', minimumBytes: 32 },
  HS384: { kind: 'hmac', minimumBytes: 48 },
  HS512: { kind: 'hmac', minimumBytes: 64 },
  RS256: { kind: 'rsa', pss: false },
  RS384: { kind: 'rsa', pss: false },
  RS512: { kind: 'rsa', pss: false },
  PS256: { kind: 'rsa', pss: true },
  PS384: { kind: 'rsa', pss: true },
  PS512: { kind: 'rsa', pss: true },
  ES256: { kind: 'ec', curve: 'prime256v1', jwkCurve: 'P-256' },
  ES384: { kind: 'ec', curve: 'secp384r1', jwkCurve: 'P-384' },
  ES512: { kind: 'ec', curve: 'secp521r1', jwkCurve: 'P-521' },
};

/** The shortest RSA modulus accepted, in bits (RFC 7518 3.3, 3.5). */
export const MIN_RSA_BITS = 2048;

export function isJwtAlgorithm(value: unknown): value is JwtAlgorithm {
  return typeof value === 'string' && Object.hasOwn(JWT_ALGORITHMS, value);
}

/** The algorithms with a public key. */
export type AsymmetricJwtAlgorithm = Exclude<
  JwtAlgorithm,
  'HS256' | 'HS384' | 'HS512'
>;

export function isAsymmetric(
  algorithm: JwtAlgorithm,
): algorithm is AsymmetricJwtAlgorithm {
  return JWT_ALGORITHMS[algorithm].kind !== 'hmac';
}
