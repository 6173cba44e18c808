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
      claims: { role: 'admin', n: 3 },
    });
  });

  it('reads sign with only --sub; the lifetime is the module default', () => {
    expect(parseCommand(['sign', '--sub', '0'])).toEqual({
      name: 'sign',
      dotenv: undefined,
      sub: 0,
      ttl: undefined,
      claims: {},
    });
  });

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
      'unknown command: the commands are sign, verify and help',
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
