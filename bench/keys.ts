import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { JwtKey } from '../src/jwt-auth/index.js';

/** The algorithms the micro benchmark signs and verifies with, one key each. */
export const BENCH_ALGORITHMS = ['HS256', 'RS256', 'PS256', 'ES256'] as const;

export type BenchAlgorithm = (typeof BENCH_ALGORITHMS)[number];

/** The asymmetric algorithms the HTTP benchmark runs a server of its own for. */
export const HTTP_KEY_ALGORITHMS = ['RS256', 'ES256'] as const;

export type HttpKeyAlgorithm = (typeof HTTP_KEY_ALGORITHMS)[number];

/** A key of `JwtAuthModuleOptions.keys`, with its `kid`. */
export type BenchKey = JwtKey & { readonly kid: string };

/** An asymmetric key of `keys`, with both halves of its pair. */
export interface BenchKeyPair {
  readonly kid: string;
  readonly algorithm: Exclude<BenchAlgorithm, 'HS256'>;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export interface BenchKeys {
  readonly HS256: BenchKey;
  readonly RS256: BenchKeyPair;
  readonly PS256: BenchKeyPair;
  readonly ES256: BenchKeyPair;
}

/** What each key is, as the figures name it. */
export const KEY_KINDS: Readonly<Record<BenchAlgorithm, string>> = {
  HS256: '32-byte secret',
  RS256: '2048-bit RSA',
  PS256: '2048-bit RSA',
  ES256: 'P-256',
};

/**
 * A key of each algorithm, made afresh for this run: a 32-byte HMAC secret,
 * a 2048-bit RSA pair for RS256 and another for PS256 (one key, one
 * algorithm: RFC 8725 3.1), and a P-256 pair for ES256.
 */
export function generateBenchKeys(): BenchKeys {
  const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    HS256: { kid: 'bench-hs256', algorithm: 'HS256', secret: randomBytes(32) },
    RS256: { kid: 'bench-rs256', algorithm: 'RS256', ...rsa() },
    PS256: { kid: 'bench-ps256', algorithm: 'PS256', ...rsa() },
    ES256: {
      kid: 'bench-es256',
      algorithm: 'ES256',
      ...generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    },
  };
}

/** The public half of a pair as SPKI PEM, the form a server process is given. */
export const publicKeyPem = (key: BenchKeyPair): string =>
  key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
