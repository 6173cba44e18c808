import { createHmac, type KeyObject } from 'node:crypto';

/** base64url of a string's UTF-8 bytes. */
export const b64url = (text: string): string =>
  Buffer.from(text, 'utf8').toString('base64url');

/** HMAC digest names by JOSE algorithm. */
const HASHES: Readonly<Record<string, string>> = {
  HS256: 'sha256',
  HS384: 'sha384',
  HS512: 'sha512',
};

export interface ForgeOptions {
  /** The JOSE header, as an object or as raw JSON text. */
  readonly header?: Record<string, unknown> | string;
  /** The claims, as an object or as raw JSON text. */
  readonly payload: Record<string, unknown> | string;
  /** The HMAC key the signature is made with. */
  readonly key: KeyObject | string;
  /** The hash of the signature; the header's `alg` when it names an HMAC. */
  readonly signWith?: 'HS256' | 'HS384' | 'HS512';
}

/**
 * Builds a compact JWS by hand with a real HMAC, so that tests can make
 * tokens no well-behaved library would: odd headers, raw JSON, any claims.
 */
export function forgeToken({
  header = { alg: 'HS256', typ: 'JWT' },
  payload,
  key,
  signWith,
}: ForgeOptions): string {
  const headerText =
    typeof header === 'string' ? header : JSON.stringify(header);
  const payloadText =
    typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signingInput = `${b64url(headerText)}.${b64url(payloadText)}`;
  const alg =
    signWith ?? (typeof header === 'object' ? String(header.alg) : 'HS256');
  const hash = HASHES[alg] ?? 'sha256';
  const signature = createHmac(hash, key)
    .update(signingInput)
    .digest('base64url');
  return `${signingInput}.${signature}`;
}

/** Now, in NumericDate seconds. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
