import { parseArgs } from 'node:util';
import type { JwtAlgorithm } from '../interfaces/jwt-auth-module-options.interface.js';
import {
  isJwtAlgorithm,
  JWT_ALGORITHMS,
  MIN_RSA_BITS,
} from '../keys/jwt-algorithms.js';
import { parseUserId } from '../user-id.js';
import { CliError } from './cli.error.js';

/** What the command line was asked to do. */
export type CliCommand =
  | { readonly name: 'help' }
  | { readonly name: 'version' }
  | SignCommand
  | VerifyCommand
  | GenerateKeyCommand;

/** `sign --sub <id> [--ttl <seconds>] [--kid <key id>] [--claim name=value ...]` */
export interface SignCommand {
  readonly name: 'sign';
  /** `--dotenv`, when given. */
  readonly dotenv: string | undefined;
  /** The user id, already checked by the module's own rule. */
  readonly sub: number;
  /** Lifetime in seconds, when given; the module's `expiresIn` otherwise. */
  readonly ttl: number | undefined;
  /** The key to sign with, when given; `JWT_SIGNING_KEY_ID`'s otherwise. */
  readonly kid: string | undefined;
  /** The `--claim` values, by name. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** `verify [<token> | -]` */
export interface VerifyCommand {
  readonly name: 'verify';
  /** `--dotenv`, when given. */
  readonly dotenv: string | undefined;
  /** The token, or `undefined` to read it from standard input. */
  readonly token: string | undefined;
}

/** `keys generate --algorithm <algorithm> [--kid <key id>] [--bits <n>] [--json]` */
export interface GenerateKeyCommand {
  readonly name: 'keys generate';
  readonly algorithm: JwtAlgorithm;
  /** The key's `kid`, when given; derived from the key otherwise. */
  readonly kid: string | undefined;
  /** The RSA modulus, in bits: `--bits`, or `MIN_RSA_BITS`; `undefined` for other keys. */
  readonly bits: number | undefined;
  /** Print an entry of the module's `keys` option rather than PEM or the secret. */
  readonly json: boolean;
}

/**
 * The env file option is `--dotenv`, not `--env-file`: Node 20 takes a
 * script argument of that name for its own flag, and exits when the file
 * does not exist (nodejs/node#54232).
 */
const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  dotenv: { type: 'string' },
  sub: { type: 'string' },
  ttl: { type: 'string' },
  claim: { type: 'string', multiple: true },
  kid: { type: 'string' },
  algorithm: { type: 'string' },
  bits: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type OptionName = keyof typeof OPTIONS;

/** The options each command takes, beside `--help` and `--version`. */
const COMMAND_OPTIONS: Readonly<Record<string, readonly OptionName[]>> = {
  sign: ['dotenv', 'sub', 'ttl', 'kid', 'claim'],
  verify: ['dotenv'],
  keys: ['algorithm', 'kid', 'bits', 'json'],
};

/** A positive whole number written plainly: no sign, exponent or leading zero. */
const POSITIVE_DECIMAL = /^[1-9][0-9]*$/;

/** The longest RSA modulus generated, in bits: OpenSSL's own limit. */
const MAX_RSA_BITS = 16_384;

/** The longest `kid` the module takes. */
const MAX_KID_LENGTH = 256;

/**
 * Reads the command line (`process.argv` without node and the script) with
 * `util.parseArgs` in strict mode.
 *
 * @throws CliError (`usage`) for anything it cannot take as written.
 */
export function parseCommand(argv: readonly string[]): CliCommand {
  const { values, positionals, tokens } = parseStrictly(argv);
  // parseArgs keeps the last of a repeated option: refuse rather than guess.
  const given = tokens.flatMap((token) =>
    token.kind === 'option' && token.name !== 'claim' ? [token.name] : [],
  );
  const repeated = given.find((name, index) => given.indexOf(name) !== index);
  if (repeated !== undefined) {
    throw new CliError('usage', `--${repeated} is given twice`);
  }
  const [command, ...operands] = positionals;

  if (values.help === true || command === 'help') return { name: 'help' };
  if (values.version === true) return { name: 'version' };
  if (command === undefined) throw new CliError('usage', 'no command given');
  const allowed = COMMAND_OPTIONS[command];
  if (!Object.hasOwn(COMMAND_OPTIONS, command) || allowed === undefined) {
    // Echoed only when it looks like a mistyped word: a token given without
    // "verify" stays off the terminal.
    const shown = /^[A-Za-z-]{1,20}$/.test(command) ? ` "${command}"` : '';
    throw new CliError(
      'usage',
      `unknown command${shown}: the commands are sign, verify, keys and help`,
    );
  }
  const label = command === 'keys' ? 'keys generate' : command;
  const misplaced = (Object.keys(values) as OptionName[]).find(
    (name) => !allowed.includes(name),
  );
  if (misplaced !== undefined) {
    throw new CliError('usage', `--${misplaced} is not an option of ${label}`);
  }

  if (command === 'keys') {
    const [action, ...rest] = operands;
    if (action !== 'generate') {
      const shown =
        action !== undefined && /^[A-Za-z-]{1,20}$/.test(action)
          ? ` "${action}"`
          : '';
      throw new CliError(
        'usage',
        action === undefined
          ? 'keys needs a command: generate'
          : `unknown keys command${shown}: the only one is generate`,
      );
    }
    if (rest.length > 0) {
      throw new CliError(
        'usage',
        'keys generate takes no operands, only options',
      );
    }
    const algorithm = parseAlgorithm(values.algorithm);
    return {
      name: 'keys generate',
      algorithm,
      kid: parseKid(values.kid),
      bits: parseBits(values.bits, algorithm),
      json: values.json === true,
    };
  }

  const dotenv = values.dotenv;
  if (command === 'verify') {
    // The token itself is never echoed: an extra operand may be one.
    if (operands.length > 1) {
      throw new CliError('usage', 'verify takes one token');
    }
    const [token] = operands;
    return {
      name: 'verify',
      dotenv,
      token: token === '-' ? undefined : token,
    };
  }

  if (operands.length > 0) {
    throw new CliError('usage', 'sign takes no operands, only options');
  }
  return {
    name: 'sign',
    dotenv,
    sub: parseSub(values.sub),
    ttl: parseTtl(values.ttl),
    kid: parseKid(values.kid),
    claims: parseClaims(values.claim ?? []),
  };
}

function parseSub(value: string | undefined): number {
  if (value === undefined) {
    throw new CliError('usage', 'sign needs --sub <user id>');
  }
  const userId = parseUserId(value);
  if (userId === undefined) {
    throw new CliError(
      'usage',
      `--sub must be a user id: a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, without sign or leading zero`,
    );
  }
  return userId;
}

function parseTtl(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = POSITIVE_DECIMAL.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(seconds)) {
    throw new CliError(
      'usage',
      '--ttl must be a positive whole number of seconds',
    );
  }
  return seconds;
}

/** A `kid` as the module takes one: 1 to 256 characters. */
function parseKid(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > MAX_KID_LENGTH) {
    throw new CliError(
      'usage',
      `--kid must be a key id of 1 to ${MAX_KID_LENGTH} characters`,
    );
  }
  return value;
}

function parseAlgorithm(value: string | undefined): JwtAlgorithm {
  if (value === undefined) {
    throw new CliError('usage', 'keys generate needs --algorithm <algorithm>');
  }
  if (!isJwtAlgorithm(value)) {
    throw new CliError(
      'usage',
      `--algorithm must be one of ${Object.keys(JWT_ALGORITHMS).join(', ')}`,
    );
  }
  return value;
}

/** The RSA modulus: `--bits` for RS* and PS* only, `MIN_RSA_BITS` by default. */
function parseBits(
  value: string | undefined,
  algorithm: JwtAlgorithm,
): number | undefined {
  if (JWT_ALGORITHMS[algorithm].kind !== 'rsa') {
    if (value !== undefined) {
      throw new CliError(
        'usage',
        `--bits goes with an RSA algorithm (RS*, PS*): the size of an ${algorithm} key is the algorithm's`,
      );
    }
    return undefined;
  }
  if (value === undefined) return MIN_RSA_BITS;
  const bits = POSITIVE_DECIMAL.test(value) ? Number(value) : Number.NaN;
  // A modulus of 2049 bits comes out of OpenSSL as 2048: refuse, not surprise.
  if (!(bits >= MIN_RSA_BITS && bits <= MAX_RSA_BITS && bits % 8 === 0)) {
    throw new CliError(
      'usage',
      `--bits must be a multiple of 8 from ${MIN_RSA_BITS} to ${MAX_RSA_BITS}`,
    );
  }
  return bits;
}

/**
 * `name=value` gives the string `value`; `name:=json` gives the JSON value
 * (`n:=3`, `admin:=true`, `roles:=["a","b"]`). A name cannot hold `=`, and
 * may hold `:` (`https://example.com/role=admin`).
 */
export function parseClaims(
  specs: readonly string[],
): Readonly<Record<string, unknown>> {
  const entries: [string, unknown][] = [];
  for (const spec of specs) {
    const [name, value] = parseClaim(spec);
    if (name === 'sub') {
      throw new CliError('usage', 'give the subject with --sub, not --claim');
    }
    if (entries.some(([seen]) => seen === name)) {
      throw new CliError(
        'usage',
        `claim ${JSON.stringify(name)} is given twice`,
      );
    }
    entries.push([name, value]);
  }
  // fromEntries defines own properties: a claim named "__proto__" stays a claim.
  return Object.fromEntries(entries);
}

function parseClaim(spec: string): [string, unknown] {
  const equals = spec.indexOf('=');
  const raw = spec.slice(equals + 1);
  const isJson = equals > 0 && spec[equals - 1] === ':';
  const name = spec.slice(0, isJson ? equals - 1 : Math.max(equals, 0));
  if (equals < 0 || name === '') {
    throw new CliError(
      'usage',
      '--claim must be name=value (a string) or name:=json (any JSON value)',
    );
  }
  if (!isJson) return [name, raw];
  try {
    return [name, JSON.parse(raw, finiteNumbers) as unknown];
  } catch {
    throw new CliError(
      'usage',
      `--claim ${JSON.stringify(name)}:= needs a JSON value (a number, true, "text", [...], {...})`,
    );
  }
}

/**
 * Refuses a number JSON.parse reads as infinite (`1e999`): it would be
 * signed as `null`.
 */
function finiteNumbers(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new RangeError('not a finite number');
  }
  return value;
}

function parseStrictly(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: OPTIONS,
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch (error) {
    // Duck-typed: Node's own errors may come from another realm than ours.
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (
      typeof code === 'string' &&
      code.startsWith('ERR_PARSE_ARGS_') &&
      typeof message === 'string'
    ) {
      throw new CliError('usage', message);
    }
    throw error;
  }
}
