import fc from 'fast-check';
import { forgeToken, nowSeconds } from './jws.js';

/** Characters an HTTP client can put in a header value (RFC 9110 5.5). */
const FIELD_CHARS = fc.mapToConstant(
  { num: 1, build: () => '\t' },
  { num: 0x7e - 0x20 + 1, build: (v) => String.fromCharCode(0x20 + v) },
  { num: 0xff - 0x80 + 1, build: (v) => String.fromCharCode(0x80 + v) },
);
const BASE64URL_CHARS = fc.constantFrom(
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
);

/** A random edit of a string: a character inserted, removed or replaced, or a cut. */
function mutated(text: string): fc.Arbitrary<string> {
  const at = fc.nat({ max: Math.max(0, text.length - 1) });
  return fc.oneof(
    fc
      .tuple(at, FIELD_CHARS)
      .map(([i, c]) => text.slice(0, i) + c + text.slice(i)),
    at.map((i) => text.slice(0, i) + text.slice(i + 1)),
    fc
      .tuple(at, BASE64URL_CHARS)
      .map(([i, c]) => text.slice(0, i) + c + text.slice(i + 1)),
    at.map((i) => text.slice(0, i)),
  );
}

/**
 * `Authorization` values: random field text, random schemes and segment
 * soups, and edits of a valid `Bearer` credential.
 */
export function authorizationValues(validToken: string): fc.Arbitrary<string> {
  const segment = fc.string({ unit: BASE64URL_CHARS, maxLength: 60 });
  const scheme = fc.constantFrom(
    'Bearer',
    'bearer',
    'BEARER',
    'Basic',
    'Token',
    'JWT',
    '',
  );
  return fc.oneof(
    fc.string({ unit: FIELD_CHARS, maxLength: 200 }),
    fc
      .tuple(scheme, fc.array(segment, { maxLength: 5 }))
      .map(([name, parts]) => `${name} ${parts.join('.')}`),
    mutated(`Bearer ${validToken}`),
    fc
      .tuple(
        scheme,
        fc.constantFrom(' ', '  ', '\t', ''),
        fc.constant(validToken),
      )
      .map((parts) => parts.join('')),
  );
}

/** The one user an `Authorization` value authenticates, if any. */
export function expectedUserFromAuthorization(
  value: string,
  validToken: string,
  userId: number,
): number | undefined {
  // The server strips leading and trailing whitespace from field values.
  const credentials = /^bearer +(.*)$/i.exec(
    value.replace(/^[ \t]+|[ \t]+$/g, ''),
  )?.[1];
  return credentials === validToken ? userId : undefined;
}

/** Claim values: the valid forms beside everything else JSON can hold. */
const REGISTERED = new Set(['sub', 'exp', 'nbf', 'iat', 'iss', 'aud', 'jti']);
const notANumber = fc.jsonValue().filter((value) => typeof value !== 'number');

/** Random claim sets, each to be signed with the right key. */
export function claimSets(): fc.Arbitrary<Record<string, unknown>> {
  const now = nowSeconds();
  // Within the demo's 24-hour lifetime, and beyond it.
  const future = fc.integer({ min: now + 60, max: now + 80_000 });
  const farFuture = fc.integer({ min: now + 90_000, max: now + 10 ** 8 });
  const recent = fc.integer({ min: now - 3600, max: now - 60 });
  const past = fc.integer({ min: -(10 ** 8), max: now - 60 });
  const sub = fc.oneof(
    { arbitrary: fc.nat({ max: Number.MAX_SAFE_INTEGER }), weight: 4 },
    {
      arbitrary: fc.nat({ max: Number.MAX_SAFE_INTEGER }).map(String),
      weight: 4,
    },
    fc.nat({ max: 1000 }).map(String),
    fc.string({ maxLength: 20 }),
    fc.stringMatching(/^[ +\-0]?[0-9_]{1,18}[ .e]?$/),
    fc.integer({ min: -1000, max: -1 }),
    fc.double(),
    fc.constantFrom(2 ** 53, '9007199254740992', '٤٢', '0x10', ' 1', '1 '),
    fc.jsonValue(),
  );
  // Mostly valid values, so that both verdicts are common.
  const time = (valid: fc.Arbitrary<number>) =>
    fc.option(
      fc.oneof(
        { arbitrary: valid, weight: 8 },
        past,
        future,
        farFuture,
        notANumber,
      ),
      { nil: undefined },
    );
  return fc
    .record(
      {
        sub: fc.option(sub, { nil: undefined }),
        exp: time(future),
        nbf: time(past),
        iat: time(recent),
        extra: fc.dictionary(
          fc
            .string({ minLength: 1, maxLength: 10 })
            .filter((key) => !REGISTERED.has(key) && key !== '__proto__'),
          fc.jsonValue({ maxDepth: 3 }),
          { maxKeys: 4 },
        ),
      },
      { requiredKeys: ['extra'] },
    )
    .map(({ extra, ...registered }) => {
      const claims: Record<string, unknown> = { ...extra };
      for (const [name, value] of Object.entries(registered)) {
        if (value !== undefined) claims[name] = value;
      }
      return claims;
    });
}

/** A token signed with `secret` over exactly these claims. */
export const signClaims = (
  claims: Record<string, unknown>,
  secret: string,
): string => forgeToken({ payload: claims, key: secret });

/**
 * The user these claims authenticate, by the rules written out afresh: a
 * number exp in the future, at most 24 hours from now and from iat, nbf and
 * iat numbers when present and not in the future, a canonical non-negative
 * safe integer sub, a token within 8 KiB.
 */
export function expectedUserFromClaims(
  claims: Record<string, unknown>,
  token: string,
): number | undefined {
  const now = Date.now() / 1000;
  // Judge what the token holds: JSON turns -0 into 0 and NaN into null.
  const { exp, nbf, iat, sub } = JSON.parse(JSON.stringify(claims)) as Record<
    string,
    unknown
  >;
  if (token.length > 8192) return undefined;
  if (typeof exp !== 'number' || !(exp > now)) return undefined;
  // No token may have longer left to live than the demo's expiresIn, 24
  // hours, however far back its iat.
  if (exp - Math.floor(now) > 86_400) return undefined;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now))
    return undefined;
  if (
    iat !== undefined &&
    (typeof iat !== 'number' || !Number.isFinite(iat) || iat > now)
  )
    return undefined;
  if (typeof sub === 'number') {
    return Number.isInteger(sub) &&
      sub >= 0 &&
      sub <= Number.MAX_SAFE_INTEGER &&
      !Object.is(sub, -0)
      ? sub
      : undefined;
  }
  if (
    typeof sub === 'string' &&
    /^(0|[1-9][0-9]*)$/.test(sub) &&
    BigInt(sub) <= BigInt(Number.MAX_SAFE_INTEGER)
  ) {
    return Number(sub);
  }
  return undefined;
}

/**
 * Command lines for `nest-jwt-auth`: its commands, options and typical
 * values shuffled with random words (no NUL: no process takes one as an
 * argument).
 */
export const cliArgv = (maxLength: number): fc.Arbitrary<string[]> =>
  fc.array(
    fc.oneof(
      fc.constantFrom(
        'sign',
        'verify',
        'help',
        '-',
        '--',
        '--sub',
        '--sub=1',
        '0',
        '1',
        '--ttl',
        '60',
        '--claim',
        'a=b',
        'n:=[1]',
        'exp:=1',
        'scope=read',
        '--dotenv',
        '/dev/null',
        '/',
        '--help',
        '-h',
        '--version',
        '-x',
        'a.b.c',
      ),
      fc.string({ maxLength: 12 }).filter((text) => !text.includes('\0')),
    ),
    { maxLength },
  );
