import { randomBytes } from 'node:crypto';
import type { InvalidTokenCode } from '../../src/jwt-auth/index.js';
import { b64url, forgeToken, nowSeconds } from './jws.js';

/** A bad token, and why the module must refuse it. */
export interface BadTokenCase {
  readonly label: string;
  readonly token: (secret: string) => string;
  readonly code: InvalidTokenCode;
}

const otherSecret = randomBytes(32).toString('base64url');
const later = (): number => nowSeconds() + 600;
const valid = (secret: string): string =>
  forgeToken({ payload: { sub: '1', exp: later() }, key: secret });
const withClaims = (claims: Record<string, unknown>) => (secret: string) =>
  forgeToken({ payload: { exp: later(), ...claims }, key: secret });
const withHeader = (header: Record<string, unknown>) => (secret: string) =>
  forgeToken({
    header,
    payload: { sub: '1', exp: later() },
    key: secret,
    signWith: 'HS256',
  });

/** Flips one bit in the middle of a segment of a token. */
function flipBit(token: string, segment: number): string {
  const parts = token.split('.');
  const bytes = Buffer.from(parts[segment], 'base64url');
  bytes[bytes.length >> 1] ^= 0x01;
  parts[segment] = bytes.toString('base64url');
  return parts.join('.');
}

/** One case per refusal class, for an app configured with HS256 and no issuer or audience. */
export const BAD_TOKENS: readonly BadTokenCase[] = [
  { label: 'not a JWT', token: () => 'not-a-jwt', code: 'token_malformed' },
  {
    label: 'two segments',
    token: (s) => valid(s).split('.').slice(0, 2).join('.'),
    code: 'token_malformed',
  },
  {
    label: 'a stripped signature',
    token: (s) => valid(s).replace(/[^.]+$/, ''),
    code: 'token_malformed',
  },
  {
    label: 'a truncated signature',
    token: (s) => valid(s).slice(0, -8),
    code: 'invalid_signature',
  },
  {
    label: 'a flipped signature bit',
    token: (s) => flipBit(valid(s), 2),
    code: 'invalid_signature',
  },
  {
    label: 'a flipped payload bit',
    token: (s) => flipBit(valid(s), 1),
    code: 'invalid_signature',
  },
  {
    label: 'a tampered sub',
    token: (s) => {
      const [header, , signature] = valid(s).split('.');
      return `${header}.${b64url(JSON.stringify({ sub: '2', exp: later() }))}.${signature}`;
    },
    code: 'invalid_signature',
  },
  {
    label: 'the wrong secret',
    token: () => valid(otherSecret),
    code: 'invalid_signature',
  },
  {
    label: 'alg none, unsigned',
    token: () =>
      `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(JSON.stringify({ sub: '1', exp: later() }))}.`,
    code: 'token_malformed',
  },
  {
    label: 'alg none, signed',
    token: withHeader({ alg: 'none' }),
    code: 'algorithm_not_allowed',
  },
  {
    label: 'alg None',
    token: withHeader({ alg: 'None' }),
    code: 'algorithm_not_allowed',
  },
  {
    label: 'alg HS512 (stronger than pinned)',
    token: (s) =>
      forgeToken({
        header: { alg: 'HS512' },
        payload: { sub: '1', exp: later() },
        key: s,
      }),
    code: 'algorithm_not_allowed',
  },
  {
    label: 'alg RS256 with an HMAC from the secret',
    token: withHeader({ alg: 'RS256' }),
    code: 'algorithm_not_allowed',
  },
  {
    label: 'an unknown crit',
    token: withHeader({ alg: 'HS256', crit: ['b64'], b64: false }),
    code: 'critical_header_unsupported',
  },
  {
    label: 'an expired token',
    token: withClaims({ sub: '1', exp: nowSeconds() - 1 }),
    code: 'token_expired',
  },
  {
    label: 'a future nbf',
    token: withClaims({ sub: '1', nbf: nowSeconds() + 3600 }),
    code: 'token_not_yet_valid',
  },
  {
    label: 'a future iat',
    token: withClaims({ sub: '1', iat: nowSeconds() + 3600 }),
    code: 'token_not_yet_valid',
  },
  {
    label: 'no exp',
    token: (s) => forgeToken({ payload: { sub: '1' }, key: s }),
    code: 'claim_missing',
  },
  {
    label: 'exp as a string',
    token: withClaims({ sub: '1', exp: String(later()) }),
    code: 'token_malformed',
  },
  { label: 'no sub', token: withClaims({}), code: 'invalid_subject' },
  {
    label: 'sub null',
    token: withClaims({ sub: null }),
    code: 'invalid_subject',
  },
  {
    label: 'sub " 42"',
    token: withClaims({ sub: ' 42' }),
    code: 'invalid_subject',
  },
  {
    label: 'sub "+42"',
    token: withClaims({ sub: '+42' }),
    code: 'invalid_subject',
  },
  {
    label: 'sub "4_2"',
    token: withClaims({ sub: '4_2' }),
    code: 'invalid_subject',
  },
  {
    label: 'sub "042"',
    token: withClaims({ sub: '042' }),
    code: 'invalid_subject',
  },
  {
    label: 'sub "٤٢"',
    token: withClaims({ sub: '٤٢' }),
    code: 'invalid_subject',
  },
  {
    label: 'sub "0x2a"',
    token: withClaims({ sub: '0x2a' }),
    code: 'invalid_subject',
  },
  {
    label: 'sub "4e1"',
    token: withClaims({ sub: '4e1' }),
    code: 'invalid_subject',
  },
  {
    label: 'sub "alice"',
    token: withClaims({ sub: 'alice' }),
    code: 'invalid_subject',
  },
  { label: 'sub -1', token: withClaims({ sub: -1 }), code: 'invalid_subject' },
  {
    label: 'sub 4.2',
    token: withClaims({ sub: 4.2 }),
    code: 'invalid_subject',
  },
  {
    label: 'sub beyond MAX_SAFE_INTEGER',
    token: withClaims({ sub: '9007199254740992' }),
    code: 'invalid_subject',
  },
  {
    label: 'sub true',
    token: withClaims({ sub: true }),
    code: 'invalid_subject',
  },
];
