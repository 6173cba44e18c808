import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { RefusalReason } from '../../src/jwt-auth/index.js';
import { b64url, forgeToken, nowSeconds } from './jws.js';

/** What the server must answer. */
export type HostileExpectation =
  /** The module's refusal, for this reason. */
  | { readonly status: 401; readonly reason: RefusalReason }
  /** A request the HTTP server itself cannot parse. */
  | { readonly status: 400 | 431 };

export interface HostileCase {
  readonly label: string;
  /** Raw header lines, beside Host and Connection. */
  readonly headers: ReadonlyArray<string | Buffer>;
  /** Path and query; `/me` by default. */
  readonly path?: string;
  readonly expect: HostileExpectation;
}

const BASE64URL =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Another last character for a 32-byte base64url value that decodes to the
 * same bytes: its two lowest bits are padding, which decoders ignore.
 */
const sameBytesVariant = (last: string): string =>
  BASE64URL[BASE64URL.indexOf(last) ^ 1];

const refused = (reason: RefusalReason) => ({ status: 401, reason }) as const;
const bearer = (token: string) => [`Authorization: Bearer ${token}`];

/**
 * The hostile requests, for an app on HS256 with `secret` and no issuer or
 * audience, whose `/me` is guarded and answers `{ userId }`.
 */
export function hostileCases(secret: string): HostileCase[] {
  const later = nowSeconds() + 3600;
  const claims = { sub: '42', exp: later };
  const valid = forgeToken({ payload: claims, key: secret });
  const [validHeader, validPayload, validSignature] = valid.split('.');
  const attackerKey = randomBytes(32).toString('base64url');
  const signed = (
    header: Record<string, unknown> | string,
    payload: Record<string, unknown> | string = claims,
    key = secret,
  ) => forgeToken({ header, payload, key, signWith: 'HS256' });
  const withClaims = (extra: Record<string, unknown>) =>
    forgeToken({ payload: { ...claims, ...extra }, key: secret });
  const withoutClaim = (name: string) => {
    const rest: Record<string, unknown> = { ...claims };
    delete rest[name];
    return forgeToken({ payload: rest, key: secret });
  };
  const rawSegments = (
    header: string | Buffer,
    payload: string | Buffer,
    key = secret,
  ) => {
    const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
    return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
  };
  const unsigned = (alg: string) =>
    `${b64url(JSON.stringify({ alg, typ: 'JWT' }))}.${validPayload}.`;
  const publicJwk = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
  }).publicKey.export({ format: 'jwk' });

  const cases: HostileCase[] = [];
  const add = (
    label: string,
    headers: ReadonlyArray<string | Buffer>,
    expect: HostileExpectation,
    path?: string,
  ) => cases.push({ label, headers, expect, path });

  // Authorization forms.
  add('no Authorization header', [], refused('token_missing'));
  add(
    'an empty Authorization header',
    ['Authorization: '],
    refused('token_missing'),
  );
  add('a bare Bearer', ['Authorization: Bearer'], refused('token_missing'));
  add(
    'Bearer and spaces',
    ['Authorization: Bearer    '],
    refused('token_missing'),
  );
  add(
    'the Basic scheme',
    ['Authorization: Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ='],
    refused('token_missing'),
  );
  add(
    'the Digest scheme',
    ['Authorization: Digest username="alice", realm="api"'],
    refused('token_missing'),
  );
  add(
    'a valid token under the Token scheme',
    [`Authorization: Token ${valid}`],
    refused('token_missing'),
  );
  add(
    'a valid token under the JWT scheme',
    [`Authorization: JWT ${valid}`],
    refused('token_missing'),
  );
  add(
    'a valid token with no scheme',
    [`Authorization: ${valid}`],
    refused('token_missing'),
  );
  add(
    'a scheme glued to the token',
    [`Authorization: Bearer${valid}`],
    refused('token_missing'),
  );
  add(
    'a tab after the scheme',
    [`Authorization: Bearer\t${valid}`],
    refused('token_missing'),
  );
  add(
    'a scheme with non-ASCII letters',
    [`Authorization: Bëarer ${valid}`],
    refused('token_missing'),
  );
  add(
    'two tokens',
    [`Authorization: Bearer ${valid} ${valid}`],
    refused('token_malformed'),
  );
  add(
    'two tokens joined by a comma',
    [`Authorization: Bearer ${valid},${valid}`],
    refused('token_malformed'),
  );
  add(
    'two Bearer credentials',
    [`Authorization: Bearer ${valid}, Bearer ${valid}`],
    refused('token_malformed'),
  );
  add(
    'two Authorization fields',
    [`Authorization: Bearer ${valid}`, `Authorization: Bearer ${valid}`],
    refused('token_malformed'),
  );
  add(
    'two Authorization fields, a bad one last',
    [`Authorization: Bearer ${valid}`, 'Authorization: Bearer x.y.z'],
    refused('token_malformed'),
  );
  add(
    'trailing junk',
    [`Authorization: Bearer ${valid} junk`],
    refused('token_malformed'),
  );
  add(
    'a trailing semicolon',
    [`Authorization: Bearer ${valid};`],
    refused('token_malformed'),
  );
  add(
    'a quoted token',
    [`Authorization: Bearer "${valid}"`],
    refused('token_malformed'),
  );
  add(
    'a token=value pair',
    [`Authorization: Bearer token=${valid}`],
    refused('token_malformed'),
  );
  add(
    'a NUL byte after the token',
    [
      Buffer.concat([
        Buffer.from(`Authorization: Bearer ${valid}`),
        Buffer.from([0]),
      ]),
    ],
    { status: 400 },
  );
  add(
    'a control character in the token',
    [
      Buffer.concat([
        Buffer.from(`Authorization: Bearer ${valid.slice(0, 20)}`),
        Buffer.from([0x01]),
        Buffer.from(valid.slice(20)),
      ]),
    ],
    { status: 400 },
  );
  add(
    'an escape sequence in the token',
    [
      Buffer.concat([
        Buffer.from('Authorization: Bearer '),
        Buffer.from([0x1b]),
        Buffer.from(`[31m${valid}`),
      ]),
    ],
    { status: 400 },
  );
  add(
    'DEL after the token',
    [
      Buffer.concat([
        Buffer.from(`Authorization: Bearer ${valid}`),
        Buffer.from([0x7f]),
      ]),
    ],
    { status: 400 },
  );
  add(
    'a bare CR inside the token',
    [
      Buffer.concat([
        Buffer.from(`Authorization: Bearer ${valid.slice(0, 10)}`),
        Buffer.from([0x0d]),
        Buffer.from(valid.slice(10)),
      ]),
    ],
    { status: 400 },
  );
  add('a folded header line', [`Authorization: Bearer`, ` ${valid}`], {
    status: 400,
  });
  add(
    'Latin-1 bytes after the token',
    [
      Buffer.concat([
        Buffer.from(`Authorization: Bearer ${valid}`),
        Buffer.from([0xe9, 0xff]),
      ]),
    ],
    refused('token_malformed'),
  );
  add(
    'UTF-8 text after the token',
    [Buffer.from(`Authorization: Bearer ${valid}ë€`, 'utf8')],
    refused('token_malformed'),
  );
  add(
    'UTF-8 text as the token',
    [Buffer.from('Authorization: Bearer ééé.ééé.ééé', 'utf8')],
    refused('token_malformed'),
  );
  add(
    'a token with a zero-width space',
    [
      Buffer.from(
        `Authorization: Bearer ${validHeader}\u200b.${validPayload}.${validSignature}`,
        'utf8',
      ),
    ],
    refused('token_malformed'),
  );
  add(
    'an 8 KiB value',
    [`Authorization: Bearer ${'A'.repeat(8 * 1024)}`],
    refused('token_malformed'),
  );
  add(
    'an 8 KiB well-formed token',
    [`Authorization: Bearer ${withClaims({ pad: 'x'.repeat(6200) })}`],
    refused('token_malformed'),
  );
  add('a 64 KiB value', [`Authorization: Bearer ${'A'.repeat(64 * 1024)}`], {
    status: 431,
  });
  add(
    'a token only in the query string',
    [],
    refused('token_missing'),
    `/me?access_token=${valid}`,
  );
  add(
    'a token only in a cookie',
    [`Cookie: access_token=${valid}; token=${valid}`],
    refused('token_missing'),
  );
  add(
    'a token only in another header',
    [`X-Access-Token: ${valid}`, `Proxy-Authorization: Bearer ${valid}`],
    refused('token_missing'),
  );

  // Structure.
  add('one segment', bearer(validHeader), refused('token_malformed'));
  add(
    'two segments',
    bearer(`${validHeader}.${validPayload}`),
    refused('token_malformed'),
  );
  add(
    'four segments',
    bearer(`${valid}.${validSignature}`),
    refused('token_malformed'),
  );
  add(
    'five segments (JWE shape)',
    bearer(`${validHeader}.a.b.c.d`),
    refused('token_malformed'),
  );
  add('only dots', bearer('..'), refused('token_malformed'));
  add(
    'an empty header segment',
    bearer(`.${validPayload}.${validSignature}`),
    refused('token_malformed'),
  );
  add(
    'an empty payload segment',
    bearer(`${validHeader}..${validSignature}`),
    refused('token_malformed'),
  );
  add(
    'an empty signature segment',
    bearer(`${validHeader}.${validPayload}.`),
    refused('token_malformed'),
  );
  add('a leading dot', bearer(`.${valid}`), refused('token_malformed'));
  add('a trailing dot', bearer(`${valid}.`), refused('token_malformed'));
  add(
    'base64 "+" in the payload',
    bearer(`${validHeader}.${validPayload}+.${validSignature}`),
    refused('token_malformed'),
  );
  add(
    'base64 "/" in the signature',
    bearer(`${validHeader}.${validPayload}.${validSignature.slice(0, -1)}/`),
    refused('token_malformed'),
  );
  add(
    '"=" padding on the signature',
    bearer(`${valid}=`),
    refused('token_malformed'),
  );
  add(
    '"=" padding on the header',
    bearer(`${validHeader}==.${validPayload}.${validSignature}`),
    refused('token_malformed'),
  );
  add(
    'a percent-encoded dot',
    bearer(`${validHeader}%2E${validPayload}.${validSignature}`),
    refused('token_malformed'),
  );
  add(
    '"!" in the header',
    bearer(`${validHeader}!.${validPayload}.${validSignature}`),
    refused('token_malformed'),
  );
  add(
    'a segment of length 1 mod 4',
    bearer(`${validHeader}.${validPayload}.${validSignature}AA`),
    refused('token_malformed'),
  );
  add(
    'a header that is not JSON',
    bearer(rawSegments('{alg:HS256}', JSON.stringify(claims))),
    refused('token_malformed'),
  );
  add(
    'a header that is a JSON string',
    bearer(rawSegments('"HS256"', JSON.stringify(claims))),
    refused('token_malformed'),
  );
  add(
    'a header that is a JSON array',
    bearer(rawSegments('["HS256"]', JSON.stringify(claims))),
    refused('token_malformed'),
  );
  add(
    'a header that is a JSON number',
    bearer(rawSegments('256', JSON.stringify(claims))),
    refused('token_malformed'),
  );
  add(
    'a header that is JSON null',
    bearer(rawSegments('null', JSON.stringify(claims))),
    refused('token_malformed'),
  );
  add(
    'a header with trailing garbage',
    bearer(rawSegments('{"alg":"HS256"}x', JSON.stringify(claims))),
    refused('token_malformed'),
  );
  add(
    'a header that is not UTF-8',
    bearer(
      rawSegments(
        Buffer.concat([
          Buffer.from('{"alg":"HS256","x":"'),
          Buffer.from([0xc3, 0x28]),
          Buffer.from('"}'),
        ]),
        JSON.stringify(claims),
      ),
    ),
    refused('token_malformed'),
  );
  add(
    'claims that are not JSON',
    bearer(rawSegments('{"alg":"HS256"}', 'sub=42')),
    refused('token_malformed'),
  );
  add(
    'claims that are a JSON string',
    bearer(rawSegments('{"alg":"HS256"}', '"42"')),
    refused('token_malformed'),
  );
  add(
    'claims that are a JSON array',
    bearer(rawSegments('{"alg":"HS256"}', '[{"sub":"42"}]')),
    refused('token_malformed'),
  );
  add(
    'claims that are JSON null',
    bearer(rawSegments('{"alg":"HS256"}', 'null')),
    refused('token_malformed'),
  );
  add(
    'claims that are not UTF-8',
    bearer(
      rawSegments(
        '{"alg":"HS256"}',
        Buffer.concat([
          Buffer.from(`{"sub":"42","exp":${later},"n":"`),
          Buffer.from([0xed, 0xa0, 0x80]),
          Buffer.from('"}'),
        ]),
      ),
    ),
    refused('token_malformed'),
  );
  // Repeated member names: the last one counts, as JSON.parse reads them
  // (RFC 7515 4, RFC 7519 4); the valid cases hold the other orders.
  add(
    'a repeated alg, none last',
    bearer(signed('{"alg":"HS256","alg":"none"}')),
    refused('algorithm_not_allowed'),
  );
  add(
    'a repeated exp, the past one last',
    bearer(
      rawSegments('{"alg":"HS256"}', `{"sub":"42","exp":${later},"exp":1}`),
    ),
    refused('token_expired'),
  );
  add(
    'a repeated sub, the bad one last',
    bearer(
      rawSegments('{"alg":"HS256"}', `{"sub":"42","exp":${later},"sub":"x"}`),
    ),
    refused('invalid_subject'),
  );
  add(
    'a deeply nested claim, forged',
    bearer(
      rawSegments(
        '{"alg":"HS256"}',
        `{"sub":"42","exp":${later},"x":${'['.repeat(2000)}${']'.repeat(2000)}}`,
        attackerKey,
      ),
    ),
    refused('invalid_signature'),
  );
  add(
    'a deeply nested header',
    bearer(
      rawSegments(
        `{"alg":"HS256","x":${'{"a":'.repeat(500)}1${'}'.repeat(500)}}`,
        JSON.stringify(claims),
        attackerKey,
      ),
    ),
    refused('invalid_signature'),
  );
  add(
    'a 13 KiB token',
    bearer(withClaims({ pad: 'x'.repeat(10_000) })),
    refused('token_malformed'),
  );

  // Algorithms.
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    add(
      `alg ${alg}, unsigned`,
      bearer(unsigned(alg)),
      refused('token_malformed'),
    );
    add(
      `alg ${alg}, with a signature`,
      bearer(signed({ alg, typ: 'JWT' })),
      refused('algorithm_not_allowed'),
    );
  }
  add(
    'alg HS384 (stronger than pinned)',
    bearer(
      forgeToken({ header: { alg: 'HS384' }, payload: claims, key: secret }),
    ),
    refused('algorithm_not_allowed'),
  );
  add(
    'alg HS512 (stronger than pinned)',
    bearer(
      forgeToken({ header: { alg: 'HS512' }, payload: claims, key: secret }),
    ),
    refused('algorithm_not_allowed'),
  );
  for (const alg of [
    'RS256',
    'RS384',
    'RS512',
    'PS256',
    'PS512',
    'ES256',
    'ES384',
    'ES512',
    'EdDSA',
  ]) {
    add(
      `alg ${alg} with an HMAC made from the secret`,
      bearer(signed({ alg, typ: 'JWT' })),
      refused('algorithm_not_allowed'),
    );
  }
  add(
    'alg missing',
    bearer(signed({ typ: 'JWT' })),
    refused('algorithm_not_allowed'),
  );
  add(
    'alg null',
    bearer(signed({ alg: null })),
    refused('algorithm_not_allowed'),
  );
  add(
    'alg as an array',
    bearer(signed({ alg: ['HS256'] })),
    refused('algorithm_not_allowed'),
  );
  add(
    'alg in lower case',
    bearer(signed({ alg: 'hs256' })),
    refused('algorithm_not_allowed'),
  );
  add(
    'alg with a trailing space',
    bearer(signed({ alg: 'HS256 ' })),
    refused('algorithm_not_allowed'),
  );
  add(
    'an attacker jwk',
    bearer(
      signed(
        { alg: 'HS256', jwk: { kty: 'oct', k: attackerKey } },
        claims,
        attackerKey,
      ),
    ),
    refused('invalid_signature'),
  );
  add(
    'an attacker EC jwk',
    bearer(signed({ alg: 'HS256', jwk: publicJwk }, claims, attackerKey)),
    refused('invalid_signature'),
  );
  add(
    'an attacker jku',
    bearer(
      signed(
        { alg: 'HS256', jku: 'https://attacker.example/jwks.json' },
        claims,
        attackerKey,
      ),
    ),
    refused('invalid_signature'),
  );
  add(
    'an attacker x5u',
    bearer(
      signed(
        { alg: 'HS256', x5u: 'https://attacker.example/cert.pem' },
        claims,
        attackerKey,
      ),
    ),
    refused('invalid_signature'),
  );
  add(
    'an attacker x5c',
    bearer(
      signed(
        { alg: 'HS256', x5c: ['MIIBszCCAVmgAwIBAgIU'] },
        claims,
        attackerKey,
      ),
    ),
    refused('invalid_signature'),
  );
  add(
    'a kid pointing at /dev/null, signed with an empty key',
    bearer(signed({ alg: 'HS256', kid: '../../../../dev/null' }, claims, '')),
    refused('invalid_signature'),
  );
  add(
    'a kid with SQL injection',
    bearer(
      signed({ alg: 'HS256', kid: "x' UNION SELECT 'key" }, claims, 'key'),
    ),
    refused('invalid_signature'),
  );
  add(
    'crit naming an unknown extension',
    bearer(
      signed({ alg: 'HS256', crit: ['urn:example:ext'], 'urn:example:ext': 1 }),
    ),
    refused('critical_header_unsupported'),
  );
  add(
    'crit b64 false',
    bearer(signed({ alg: 'HS256', crit: ['b64'], b64: false })),
    refused('critical_header_unsupported'),
  );
  add(
    'crit empty',
    bearer(signed({ alg: 'HS256', crit: [] })),
    refused('critical_header_unsupported'),
  );
  add(
    'crit naming exp',
    bearer(signed({ alg: 'HS256', crit: ['exp'] })),
    refused('critical_header_unsupported'),
  );

  // Signatures.
  add(
    'the wrong secret',
    bearer(forgeToken({ payload: claims, key: attackerKey })),
    refused('invalid_signature'),
  );
  add(
    'a secret one byte short',
    bearer(forgeToken({ payload: claims, key: secret.slice(0, -1) })),
    refused('invalid_signature'),
  );
  add(
    'a truncated signature',
    bearer(valid.slice(0, -4)),
    refused('invalid_signature'),
  );
  add(
    'a signature cut in half',
    bearer(valid.slice(0, -23)),
    refused('invalid_signature'),
  );
  for (const position of [0, 10, 21, 31]) {
    const bytes = Buffer.from(validSignature, 'base64url');
    bytes[position] ^= 0x80;
    add(
      `a flipped bit in signature byte ${position}`,
      bearer(`${validHeader}.${validPayload}.${bytes.toString('base64url')}`),
      refused('invalid_signature'),
    );
  }
  add(
    'a non-canonical last signature character',
    bearer(
      `${validHeader}.${validPayload}.${validSignature.slice(0, -1)}${sameBytesVariant(validSignature.at(-1) ?? '')}`,
    ),
    refused('invalid_signature'),
  );
  add(
    'a signature from another token',
    bearer(
      `${validHeader}.${validPayload}.${forgeToken({ payload: { sub: '1', exp: later }, key: secret }).split('.')[2]}`,
    ),
    refused('invalid_signature'),
  );
  add(
    'a payload from another token',
    bearer(
      `${validHeader}.${b64url(JSON.stringify({ sub: '1', exp: later }))}.${validSignature}`,
    ),
    refused('invalid_signature'),
  );
  add(
    'a signature twice as long',
    bearer(`${valid}${validSignature}`),
    refused('invalid_signature'),
  );
  add(
    'an HS512-length signature',
    bearer(
      `${validHeader}.${validPayload}.${createHmac('sha512', secret).update(`${validHeader}.${validPayload}`).digest('base64url')}`,
    ),
    refused('invalid_signature'),
  );
  add(
    'a signature of all "A"',
    bearer(`${validHeader}.${validPayload}.${'A'.repeat(43)}`),
    refused('invalid_signature'),
  );
  add(
    'a signature of the payload alone',
    bearer(
      `${validHeader}.${validPayload}.${createHmac('sha256', secret).update(validPayload).digest('base64url')}`,
    ),
    refused('invalid_signature'),
  );

  // Claims.
  add(
    'exp one second ago',
    bearer(withClaims({ exp: nowSeconds() - 1 })),
    refused('token_expired'),
  );
  add(
    'exp a day ago',
    bearer(withClaims({ exp: nowSeconds() - 86_400 })),
    refused('token_expired'),
  );
  add('exp 0', bearer(withClaims({ exp: 0 })), refused('token_expired'));
  add(
    'exp negative',
    bearer(withClaims({ exp: -1 })),
    refused('token_expired'),
  );
  add('exp missing', bearer(withoutClaim('exp')), refused('claim_missing'));
  add(
    'exp as a string',
    bearer(withClaims({ exp: String(later) })),
    refused('token_malformed'),
  );
  add(
    'exp null',
    bearer(withClaims({ exp: null })),
    refused('token_malformed'),
  );
  add(
    'exp true',
    bearer(withClaims({ exp: true })),
    refused('token_malformed'),
  );
  add(
    'exp as an array',
    bearer(withClaims({ exp: [later] })),
    refused('token_malformed'),
  );
  add(
    'exp as an object',
    bearer(withClaims({ exp: { $gt: 0 } })),
    refused('token_malformed'),
  );
  add(
    'exp 1e400 (infinite)',
    bearer(rawSegments('{"alg":"HS256"}', '{"sub":"42","exp":1e400}')),
    refused('token_malformed'),
  );
  add(
    'nbf an hour ahead',
    bearer(withClaims({ nbf: nowSeconds() + 3600 })),
    refused('token_not_yet_valid'),
  );
  add(
    'nbf as a string',
    bearer(withClaims({ nbf: '0' })),
    refused('token_malformed'),
  );
  add(
    'iat as a string',
    bearer(withClaims({ iat: 'yesterday' })),
    refused('token_malformed'),
  );
  add('sub missing', bearer(withoutClaim('sub')), refused('invalid_subject'));
  const badSubjects: ReadonlyArray<[string, unknown]> = [
    ['null', null],
    ['empty', ''],
    ['" 42"', ' 42'],
    ['"42 "', '42 '],
    ['"42\\n"', '42\n'],
    ['"+42"', '+42'],
    ['"-42"', '-42'],
    ['"-0"', '-0'],
    ['"4_2"', '4_2'],
    ['"042"', '042'],
    ['"٤٢"', '٤٢'],
    ['"４２"', '４２'],
    ['"0x2a"', '0x2a'],
    ['"4e1"', '4e1'],
    ['"42.0"', '42.0'],
    ['"Infinity"', 'Infinity'],
    ['"NaN"', 'NaN'],
    ['"alice"', 'alice'],
    ['"9007199254740992"', '9007199254740992'],
    ['-1', -1],
    ['4.2', 4.2],
    ['2^53', 2 ** 53],
    ['true', true],
    ['an array', [42]],
    ['an object', { id: 42 }],
  ];
  for (const [label, sub] of badSubjects) {
    add(
      `sub ${label}`,
      bearer(withClaims({ sub })),
      refused('invalid_subject'),
    );
  }
  return cases;
}

/** Valid requests the hostile suite also sends, to show refusals are not blanket. */
export function validCases(
  secret: string,
): ReadonlyArray<{ label: string; headers: string[]; userId: number }> {
  const later = nowSeconds() + 3600;
  const token = (sub: unknown, extra: Record<string, unknown> = {}) =>
    forgeToken({ payload: { sub, exp: later, ...extra }, key: secret });
  const written = (header: string, payload: string) =>
    forgeToken({ header, payload, key: secret, signWith: 'HS256' });
  const claims = (text: string) => written('{"alg":"HS256"}', text);
  return [
    {
      label: 'a repeated alg, the pinned one last',
      headers: bearer(
        written('{"alg":"none","alg":"HS256"}', `{"sub":"42","exp":${later}}`),
      ),
      userId: 42,
    },
    {
      label: 'a repeated alg, escaped',
      headers: bearer(
        written(
          '{"alg":"HS256","\\u0061lg":"HS256"}',
          `{"sub":"43","exp":${later}}`,
        ),
      ),
      userId: 43,
    },
    {
      label: 'a repeated sub, read last',
      headers: bearer(claims(`{"sub":"1","exp":${later},"sub":"44"}`)),
      userId: 44,
    },
    {
      label: 'a repeated exp, read last',
      headers: bearer(claims(`{"sub":"45","exp":1,"exp":${later}}`)),
      userId: 45,
    },
    {
      label: 'a repeated nested member',
      headers: bearer(
        claims(
          `{"sub":"46","exp":${later},"ctx":{"role":"user","role":"admin"}}`,
        ),
      ),
      userId: 46,
    },
    ...['1.0', '1e0', '10e-1', '47.000'].map((number) => ({
      label: `sub ${number}, a JSON number that is an integer`,
      headers: bearer(claims(`{"sub":${number},"exp":${later}}`)),
      userId: Number(number),
    })),
    { label: 'sub "42"', headers: bearer(token('42')), userId: 42 },
    { label: 'sub "0"', headers: bearer(token('0')), userId: 0 },
    { label: 'sub 0 as a number', headers: bearer(token(0)), userId: 0 },
    {
      label: 'sub MAX_SAFE_INTEGER',
      headers: bearer(token(String(Number.MAX_SAFE_INTEGER))),
      userId: Number.MAX_SAFE_INTEGER,
    },
    {
      label: 'a lower-case scheme',
      headers: [`Authorization: bearer ${token('7')}`],
      userId: 7,
    },
    {
      label: 'spaces around the value',
      headers: [`Authorization:    Bearer ${token('8')}   `],
      userId: 8,
    },
    {
      label: 'a past nbf and an iat',
      headers: bearer(token('9', { nbf: later - 7200, iat: later - 7200 })),
      userId: 9,
    },
    {
      label: 'application claims',
      headers: bearer(token('10', { scope: 'read', ctx: { a: [1, 2] } })),
      userId: 10,
    },
  ];
}
