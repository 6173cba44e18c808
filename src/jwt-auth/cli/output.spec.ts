import { describe, expect, it } from '@jest/globals';
import {
  INVALID_TOKEN_DESCRIPTIONS,
  type InvalidTokenCode,
} from '../errors/invalid-token.error.js';
import { EXIT_STATUS } from './exit-status.js';
import {
  formatFault,
  formatRefusal,
  formatVerified,
  SYNOPSIS,
  USAGE,
} from './output.js';

const user = {
  userId: 42,
  tokenId: 'f0e1',
  claims: {
    sub: '42',
    iat: 1_795_750_000,
    exp: 1_795_753_600,
    jti: 'f0e1',
    roles: ['a'],
  },
};

describe('formatVerified', () => {
  it('prints the verdict, that revocation was not checked, and the claims as pretty JSON', () => {
    expect(formatVerified(user, undefined)).toBe(
      [
        'valid: user 42, expires 2026-11-27T04:26:40.000Z',
        'revocation: not checked (set REDIS_URL to check the store an application shares)',
        '{',
        '  "sub": "42",',
        '  "iat": 1795750000,',
        '  "exp": 1795753600,',
        '  "jti": "f0e1",',
        '  "roles": [',
        '    "a"',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('names the key in the verdict when the token names one, and changes nothing else', () => {
    const withKey = formatVerified(user, undefined, '2026-12').split('\n');
    const without = formatVerified(user, undefined).split('\n');
    expect(withKey[0]).toBe(
      'valid: user 42, expires 2026-11-27T04:26:40.000Z, key 2026-12',
    );
    expect(withKey.slice(1)).toEqual(without.slice(1));
  });

  it.each([
    ['with a space', '"with a space"'],
    ['\u001b[31mred', '"\\u001b[31mred"'],
    ['line\nbreak', '"line\\nbreak"'],
    ['', '""'],
  ])('quotes a kid that is not a plain word: %j', (kid, shown) => {
    expect(formatVerified(user, undefined, kid).split('\n')[0]).toBe(
      `valid: user 42, expires 2026-11-27T04:26:40.000Z, key ${shown}`,
    );
  });

  it('says where revocation was checked when it was', () => {
    expect(formatVerified(user, 'Redis (REDIS_URL)').split('\n')[1]).toBe(
      'revocation: not revoked (checked in Redis (REDIS_URL))',
    );
  });
});

describe('formatRefusal', () => {
  it.each(Object.keys(INVALID_TOKEN_DESCRIPTIONS) as InvalidTokenCode[])(
    'prints %s with its description on one line',
    (code) => {
      expect(formatRefusal(code)).toBe(
        `refused: ${code}: ${INVALID_TOKEN_DESCRIPTIONS[code]}\n`,
      );
    },
  );
});

describe('usage', () => {
  it('documents every exit status', () => {
    for (const status of Object.values(EXIT_STATUS)) {
      expect(USAGE).toMatch(new RegExp(`^  ${status}  \\S`, 'm'));
    }
  });

  it.each([
    'JWT_SECRET',
    'JWT_ALGORITHM',
    'JWT_KEYS_FILE',
    'JWT_SIGNING_KEY_ID',
    'JWT_JWKS_URI',
    'JWT_EXPIRES_IN',
    'JWT_ISSUER',
    'JWT_AUDIENCE',
    'JWT_CLOCK_TOLERANCE',
    'REDIS_URL',
  ])('documents the variable %s', (name) => {
    expect(USAGE).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });

  it.each([
    '--sub',
    '--ttl',
    '--kid',
    '--claim',
    '--algorithm',
    '--bits',
    '--json',
    '--dotenv',
  ])('documents the option %s', (option) => {
    expect(USAGE).toMatch(new RegExp(`^  ${option} .*\\S`, 'm'));
  });

  it('begins with the synopsis printed after a usage error', () => {
    expect(USAGE.startsWith(SYNOPSIS)).toBe(true);
  });

  it('prefixes a fault with the program name', () => {
    expect(formatFault('no command given')).toBe(
      'nest-jwt-auth: no command given\n',
    );
  });
});
