import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { cliArgv } from '../../../test/support/arbitraries.js';
import { parseClaims, parseCommand } from './arguments.js';
import { CliError } from './cli.error.js';

function usageError(argv: readonly string[]): string {
  try {
    parseCommand(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe('usage');
    return (error as CliError).message;
  }
  throw new Error(`accepted: ${JSON.stringify(argv)}`);
}

describe('parseCommand', () => {
  it.each([
    [['--help']],
    [['-h']],
    [['help']],
    [['sign', '--help']],
    [['verify', '-h', 'token']],
  ])('reads %j as help', (argv) => {
    expect(parseCommand(argv)).toEqual({ name: 'help' });
  });

  it('reads --version', () => {
    expect(parseCommand(['--version'])).toEqual({ name: 'version' });
  });

  it('reads sign with every option, in any order, options before the command too', () => {
    expect(
      parseCommand([
        '--dotenv',
        'conf/.env',
        'sign',
        '--claim',
        'role=admin',
        '--ttl',
        '60',
        '--sub=42',
        '--claim',
        'n:=3',
      ]),
    ).toEqual({
      name: 'sign',
      dotenv: 'conf/.env',
      sub: 42,
      ttl: 60,
      kid: undefined,
      claims: { role: 'admin', n: 3 },
    });
  });

  it('reads sign with only --sub; the lifetime is the module default', () => {
    expect(parseCommand(['sign', '--sub', '0'])).toEqual({
      name: 'sign',
      dotenv: undefined,
      sub: 0,
      ttl: undefined,
      kid: undefined,
      claims: {},
    });
  });

  it('reads sign --kid, the key to sign one token with', () => {
    expect(parseCommand(['sign', '--sub', '1', '--kid', '2026-12'])).toEqual({
      name: 'sign',
      dotenv: undefined,
      sub: 1,
      ttl: undefined,
      kid: '2026-12',
      claims: {},
    });
  });

  it.each([
    [['keys', 'generate', '--algorithm', 'ES256'], 'ES256', undefined, false],
    [
      ['keys', 'generate', '--algorithm=HS512', '--json'],
      'HS512',
      undefined,
      true,
    ],
    [
      ['--json', 'keys', '--kid', 'k1', 'generate', '--algorithm', 'PS384'],
      'PS384',
      'k1',
      true,
    ],
  ])('reads %j', (argv, algorithm, kid, json) => {
    expect(parseCommand(argv)).toEqual({
      name: 'keys generate',
      algorithm,
      kid,
      bits: algorithm.startsWith('PS') ? 2048 : undefined,
      json,
    });
  });

  it.each([
    ['RS256', '2048', 2048],
    ['RS512', '4096', 4096],
    ['PS256', '3072', 3072],
    ['RS256', '16384', 16_384],
    ['RS384', undefined, 2048],
  ])(
    'reads the RSA modulus of %s --bits %j as %d',
    (algorithm, bits, expected) => {
      const argv = ['keys', 'generate', '--algorithm', algorithm];
      if (bits !== undefined) argv.push('--bits', bits);
      expect(parseCommand(argv)).toMatchObject({ bits: expected });
    },
  );

  it.each([
    [['verify', 'a.b.c'], 'a.b.c'],
    [['verify', '-'], undefined],
    [['verify'], undefined],
    [['verify', '--', '-'], undefined],
  ])('reads %j as verify of %j (undefined: stdin)', (argv, token) => {
    expect(parseCommand(argv)).toEqual({
      name: 'verify',
      dotenv: undefined,
      token,
    });
  });

  it.each([
    [[], /no command/],
    [['sing', '--sub', '1'], /unknown command "sing"/],
    [['__proto__'], /unknown command/],
    [['toString'], /unknown command/],
    [['sign'], /sign needs --sub/],
    [['sign', '--sub'], /argument missing/],
    [['sign', '--sub', '-1'], /ambiguous/],
    [['sign', '--sub', '1', '--bogus'], /Unknown option '--bogus'/],
    [['sign', '--sub', '1', 'extra'], /no operands/],
    [['sign', '--sub', '1', '--sub', '2'], /--sub is given twice/],
    [['sign', '--sub=1', '--ttl', '5', '--ttl=6'], /--ttl is given twice/],
    [['-h', '--help'], /--help is given twice/],
    [['verify', '--sub', '1'], /--sub is not an option of verify/],
    [['verify', '--ttl', '1', 't'], /--ttl is not an option of verify/],
    [['verify', 'a', 'b'], /verify takes one token/],
    [['sign', '--ttl', '60'], /sign needs --sub/],
    [['sign', '--sub', '1', '--dotenv'], /argument missing/],
    [['sign', '--sub', '1', '--help=yes'], /does not take an argument/],
    [['sign', '--sub', '1', '--kid'], /argument missing/],
    [
      ['sign', '--sub', '1', '--kid='],
      /--kid must be a key id of 1 to 256 characters/,
    ],
    [
      ['sign', '--sub', '1', `--kid=${'k'.repeat(257)}`],
      /--kid must be a key id of 1 to 256 characters/,
    ],
    [
      ['sign', '--sub', '1', '--kid', 'a', '--kid', 'b'],
      /--kid is given twice/,
    ],
    [
      ['sign', '--sub', '1', '--algorithm', 'ES256'],
      /--algorithm is not an option of sign/,
    ],
    [['sign', '--sub', '1', '--json'], /--json is not an option of sign/],
    [['verify', '--kid', 'a', 't'], /--kid is not an option of verify/],
    [['keys'], /^keys needs a command: generate$/],
    [
      ['keys', 'list'],
      /^unknown keys command "list": the only one is generate$/,
    ],
    [
      ['keys', 'eyJ.e30.sig'],
      /^unknown keys command: the only one is generate$/,
    ],
    [['keys', 'generate'], /^keys generate needs --algorithm <algorithm>$/],
    [['keys', 'generate', '--algorithm'], /argument missing/],
    [
      ['keys', 'generate', '--algorithm', 'none'],
      /^--algorithm must be one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512$/,
    ],
    [
      ['keys', 'generate', '--algorithm', 'es256'],
      /--algorithm must be one of/,
    ],
    [
      ['keys', 'generate', '--algorithm', 'EdDSA'],
      /--algorithm must be one of/,
    ],
    [
      ['keys', 'generate', '--algorithm', 'ES256', 'extra'],
      /keys generate takes no operands/,
    ],
    [
      ['keys', 'generate', '--algorithm', 'ES256', '--sub', '1'],
      /^--sub is not an option of keys generate$/,
    ],
    [
      ['keys', 'generate', '--algorithm', 'ES256', '--dotenv', '.env'],
      /--dotenv is not an option of keys generate/,
    ],
    [
      ['keys', 'generate', '--algorithm', 'ES256', '--kid='],
      /--kid must be a key id/,
    ],
    [
      ['keys', 'generate', '--algorithm', 'ES256', '--json', '--json'],
      /--json is given twice/,
    ],
    [
      ['keys', 'generate', '--algorithm', 'ES256', '--json=yes'],
      /does not take an argument/,
    ],
    [
      ['keys', 'generate', '--algorithm', 'ES256', '--bits', '4096'],
      /^--bits goes with an RSA algorithm \(RS\*, PS\*\): the size of an ES256 key is the algorithm's$/,
    ],
    [
      ['keys', 'generate', '--algorithm', 'HS256', '--bits', '2048'],
      /--bits goes with an RSA algorithm/,
    ],
  ])('refuses %j', (argv, message) => {
    expect(usageError(argv)).toMatch(message);
  });

  // The module's own rule for a user id, applied before anything boots.
  it.each(['042', '+1', ' 1', '1.0', '1e3', '0x2a', 'abc', '', '٤٢'])(
    'refuses --sub %j',
    (sub) => {
      expect(usageError(['sign', `--sub=${sub}`])).toMatch(
        /--sub must be a user id/,
      );
    },
  );

  it('refuses a --sub past Number.MAX_SAFE_INTEGER', () => {
    expect(usageError(['sign', '--sub', '9007199254740992'])).toMatch(
      /--sub must be a user id/,
    );
  });

  // OpenSSL makes a 2049-bit request a 2048-bit key: refused, not rounded.
  it.each([
    '1024',
    '2047',
    '2049',
    '2050',
    '16392',
    '02048',
    '2048.0',
    '4e3',
    '',
  ])('refuses --bits %j', (bits) => {
    expect(
      usageError([
        'keys',
        'generate',
        '--algorithm',
        'RS256',
        `--bits=${bits}`,
      ]),
    ).toBe('--bits must be a multiple of 8 from 2048 to 16384');
  });

  it.each(['0', '060', '1.5', '1e3', 'abc', '', '9007199254740992'])(
    'refuses --ttl %j',
    (ttl) => {
      expect(usageError(['sign', '--sub', '1', `--ttl=${ttl}`])).toMatch(
        /--ttl must be a positive whole number of seconds/,
      );
    },
  );

  it('never echoes an extra verify operand, which may be a token', () => {
    expect(usageError(['verify', 'first', 'second.token'])).not.toContain(
      'second',
    );
  });

  it('never echoes a token given without a command', () => {
    expect(usageError(['eyJhbGciOiJIUzI1NiJ9.e30.sig'])).toBe(
      'unknown command: the commands are sign, verify, keys and help',
    );
  });

  it('reads every keys argv as a command or refuses it with a usage error, never another error', () => {
    const word = fc.constantFrom(
      'keys',
      'generate',
      '--algorithm',
      'ES256',
      'RS256',
      'HS512',
      'none',
      '--bits',
      '2048',
      '3000',
      '--kid',
      '',
      '--json',
      '--sub',
      '-',
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(word, fc.string({ maxLength: 8 })), { maxLength: 8 }),
        (rest) => {
          try {
            const command = parseCommand(['keys', ...rest]);
            expect(['keys generate', 'help', 'version']).toContain(
              command.name,
            );
          } catch (error) {
            expect(error).toBeInstanceOf(CliError);
          }
        },
      ),
      { numRuns: 2000, seed: 20_261_202 },
    );
  });

  it('reads every argv as a command or refuses it with a usage error, never another error', () => {
    fc.assert(
      fc.property(cliArgv(8), (argv) => {
        try {
          parseCommand(argv);
        } catch (error) {
          expect(error).toBeInstanceOf(CliError);
        }
      }),
      { numRuns: 2000, seed: 20_261_127 },
    );
  });
});

describe('parseClaims', () => {
  it('types name=value as a string and name:=json as JSON', () => {
    expect(
      parseClaims([
        'role=admin',
        'n:=3',
        'admin:=true',
        'roles:=["a","b"]',
        'profile:={"tier":"gold"}',
        'quoted:="7"',
        'text=7',
        'empty=',
        'eq=a=b',
      ]),
    ).toEqual({
      role: 'admin',
      n: 3,
      admin: true,
      roles: ['a', 'b'],
      profile: { tier: 'gold' },
      quoted: '7',
      text: '7',
      empty: '',
      eq: 'a=b',
    });
  });

  it('takes a name with ":" (a collision-resistant URI name, RFC 7519 4.2)', () => {
    expect(
      parseClaims([
        'https://example.com/role=admin',
        'https://example.com/tags:=["x"]',
      ]),
    ).toEqual({
      'https://example.com/role': 'admin',
      'https://example.com/tags': ['x'],
    });
  });

  it('keeps a claim named __proto__ as a claim', () => {
    const claims = parseClaims(['__proto__=x']);
    expect(Object.getPrototypeOf(claims)).toBe(Object.prototype);
    expect(Object.hasOwn(claims, '__proto__')).toBe(true);
    expect(JSON.stringify(claims)).toBe('{"__proto__":"x"}');
  });

  it.each([
    [['role=a', 'role=b'], /claim "role" is given twice/],
    [['role=a', 'role:="b"'], /claim "role" is given twice/],
    [['sub=1'], /--sub, not --claim/],
    [['sub:=1'], /--sub, not --claim/],
    [['noequals'], /name=value/],
    [['=value'], /name=value/],
    [[':=1'], /name=value/],
    [['n:=not json'], /"n":= needs a JSON value/],
    [['n:='], /"n":= needs a JSON value/],
    [['n:=1e999'], /"n":= needs a JSON value/],
    [['n:=[1, -1e999]'], /"n":= needs a JSON value/],
  ])('refuses %j', (specs, message) => {
    expect(() => parseClaims(specs)).toThrow(message);
  });
});
