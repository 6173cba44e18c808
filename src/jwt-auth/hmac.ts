import { createHmac, type KeyObject } from 'node:crypto';
import type { JwtAlgorithm } from './interfaces/jwt-auth-module-options.interface.js';

/** The hash behind each HMAC algorithm (RFC 7518 3.2). */
const HASHES: Readonly<Record<JwtAlgorithm, string>> = {
  HS256: 'sha256',
  HS384: 'sha384',
  HS512: 'sha512',
};

/** The JWS signature of a signing input, base64url-encoded (RFC 7515 5.1). */
export function hmacBase64Url(
  algorithm: JwtAlgorithm,
  key: KeyObject,
  signingInput: string,
): string {
  return createHmac(HASHES[algorithm], key)
    .update(signingInput)
    .digest('base64url');
}
