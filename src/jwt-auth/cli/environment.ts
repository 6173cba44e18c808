import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { JwtAuthOptionsError } from '../errors/jwt-auth-options.error.js';
import type {
  JwtAuthModuleOptions,
  JwtKey,
} from '../interfaces/jwt-auth-module-options.interface.js';
import { CliError } from './cli.error.js';

/** Variables by name, as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The environment variable behind each module option the command line sets. */
const OPTION_VARIABLES: Readonly<Record<string, string>> = {
  secret: 'JWT_SECRET',
  algorithm: 'JWT_ALGORITHM',
  keys: 'JWT_KEYS_FILE',
  signingKeyId: 'JWT_SIGNING_KEY_ID',
  jwks: 'JWT_JWKS_URI',
  'jwks.uri': 'JWT_JWKS_URI',
  expiresIn: 'JWT_EXPIRES_IN',
  issuer: 'JWT_ISSUER',
  audience: 'JWT_AUDIENCE',
  clockTolerance: 'JWT_CLOCK_TOLERANCE',
  'revocation.redis.url': 'REDIS_URL',
};

/** The variables that give the keys: one of them, exactly. */
const KEY_VARIABLES = ['JWT_SECRET', 'JWT_KEYS_FILE', 'JWT_JWKS_URI'] as const;

/** Where, and for which command, the command line reads its configuration. */
export interface ConfigurationContext {
  /** The working directory: `JWT_KEYS_FILE` is read relative to it. */
  readonly cwd: string;
  /**
   * `--dotenv`, the env file `env` was read from beside the process, if
   * any: where else to tell the user to set a missing variable.
   */
  readonly dotenv: string | undefined;
  /**
   * `sign` needs a key that signs; `verify` also takes `JWT_JWKS_URI`, and
   * checks revocations in `REDIS_URL`.
   */
  readonly command: 'sign' | 'verify';
}

/**
 * The variables the command line runs with: those of the process, and,
 * only when `--dotenv` names one, those of an env file under them, so that
 * a variable set in the real environment wins over the file, as
 * `@nestjs/config` has it for the demo and as Node's `--env-file` does. No
 * file is read unasked: a `.env` in the working directory may belong to
 * another application. The file is read with Node's own parser (the one
 * behind `process.loadEnvFile()`), without touching `process.env`.
 *
 * @param dotenv `--dotenv`: the file to read, relative to `cwd`; it must
 *   exist. Without it, only `processEnv`.
 * @throws CliError (`configuration`) when the file cannot be read.
 */
export function loadEnvironment(
  processEnv: Environment,
  cwd: string,
  dotenv: string | undefined,
): Environment {
  if (dotenv === undefined) return processEnv;
  let text: string;
  try {
    text = readFileSync(resolve(cwd, dotenv), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      'configuration',
      `cannot read the env file ${JSON.stringify(dotenv)} (${code ?? 'unreadable'})`,
    );
  }
  const fromProcess = Object.fromEntries(
    Object.entries(processEnv).filter(([, value]) => value !== undefined),
  );
  return { ...parseEnv(text), ...fromProcess };
}

/**
 * The `JwtAuthModule` options the variables describe. Only presence, the
 * keys file's syntax and number syntax are checked here; every other rule
 * is the module's own (`resolveJwtAuthOptions`), whose faults
 * `describeOptionsError` names by variable. An empty variable counts as
 * unset.
 *
 * - The keys, one of: `JWT_SECRET`, the HMAC secret, as UTF-8 text, like
 *   the demo's, with `JWT_ALGORITHM`; `JWT_KEYS_FILE`, a JSON file of the
 *   `keys` option (`readKeysFile()`), with `JWT_SIGNING_KEY_ID`; or, for
 *   `verify` only, `JWT_JWKS_URI`, an identity provider's JWK Set.
 * - `JWT_ISSUER`: as the option.
 * - `JWT_AUDIENCE`: one audience, or several separated by commas.
 * - `JWT_EXPIRES_IN`, `JWT_CLOCK_TOLERANCE`: whole seconds.
 * - `REDIS_URL`: for `verify`, revocations are checked in that Redis.
 *
 * @throws CliError (`configuration`) for missing or conflicting keys, or
 *   an unreadable keys file.
 */
export function moduleOptionsFromEnvironment(
  env: Environment,
  context: ConfigurationContext,
): JwtAuthModuleOptions {
  const options = keyOptions(env, context);
  const expiresIn = nonEmpty(env.JWT_EXPIRES_IN);
  if (expiresIn !== undefined) options.expiresIn = wholeNumber(expiresIn);
  const issuer = nonEmpty(env.JWT_ISSUER);
  if (issuer !== undefined) options.issuer = issuer;
  const audience = nonEmpty(env.JWT_AUDIENCE);
  if (audience !== undefined)
    options.audience = audience.split(',').map((value) => value.trim());
  const clockTolerance = nonEmpty(env.JWT_CLOCK_TOLERANCE);
  if (clockTolerance !== undefined)
    options.clockTolerance = wholeNumber(clockTolerance);
  const redisUrl = nonEmpty(env.REDIS_URL);
  // One check: asking Redis beats reading every revocation into a mirror.
  if (context.command === 'verify' && redisUrl !== undefined)
    options.revocation = { redis: { url: redisUrl, mirror: false } };
  return options;
}

/** `secret` and `algorithm`, `keys` and `signingKeyId`, or `jwks`. */
function keyOptions(
  env: Environment,
  { cwd, dotenv, command }: ConfigurationContext,
): JwtAuthModuleOptions {
  const given = KEY_VARIABLES.filter(
    (name) => nonEmpty(env[name]) !== undefined,
  );
  if (given.length > 1) {
    throw new CliError(
      'configuration',
      `${given.join(' and ')} exclude each other: set one`,
    );
  }
  const [source] = given;
  if (source === undefined) {
    const others =
      command === 'verify' ? 'JWT_KEYS_FILE or JWT_JWKS_URI' : 'JWT_KEYS_FILE';
    const elsewhere =
      dotenv === undefined
        ? ', or in an env file named with --dotenv'
        : ` or in ${dotenv}`;
    throw new CliError(
      'configuration',
      `JWT_SECRET is missing: set it (or ${others}) in the environment${elsewhere}`,
    );
  }
  if (source === 'JWT_JWKS_URI' && command === 'sign') {
    throw new CliError(
      'configuration',
      "JWT_JWKS_URI only verifies an identity provider's tokens: sign needs JWT_SECRET or JWT_KEYS_FILE",
    );
  }
  const algorithm = nonEmpty(env.JWT_ALGORITHM);
  if (algorithm !== undefined && source !== 'JWT_SECRET') {
    throw new CliError(
      'configuration',
      source === 'JWT_KEYS_FILE'
        ? 'JWT_ALGORITHM goes with JWT_SECRET: each key of JWT_KEYS_FILE names its own algorithm'
        : 'JWT_ALGORITHM goes with JWT_SECRET, not JWT_JWKS_URI',
    );
  }
  const options: JwtAuthModuleOptions = {};
  const signingKeyId = nonEmpty(env.JWT_SIGNING_KEY_ID);
  // The module refuses it without keys, naming the option.
  if (signingKeyId !== undefined) options.signingKeyId = signingKeyId;
  const value = env[source] as string;
  if (source === 'JWT_JWKS_URI') {
    options.jwks = { uri: value };
  } else if (source === 'JWT_KEYS_FILE') {
    options.keys = readKeysFile(cwd, value) as JwtKey[];
  } else {
    options.secret = value;
    // The module refuses any name outside the union, naming the option.
    if (algorithm !== undefined)
      options.algorithm = algorithm as JwtAuthModuleOptions['algorithm'];
  }
  return options;
}

/**
 * The entries of a keys file: a JSON array, each entry as one of the
 * module's `keys` option (`{ kid, algorithm, secret }` or `{ kid,
 * algorithm, privateKey, publicKey }`, keys as PEM text). The entries are
 * the module's to check. A fault never quotes the file: it holds keys.
 *
 * @param path relative to `cwd`, or absolute.
 * @throws CliError (`configuration`) when the file cannot be read, is not
 *   JSON, or is not an array.
 */
export function readKeysFile(cwd: string, path: string): unknown[] {
  const named = `JWT_KEYS_FILE ${JSON.stringify(path)}`;
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      'configuration',
      `${named} cannot be read (${code ?? 'unreadable'})`,
    );
  }
  let keys: unknown;
  try {
    keys = JSON.parse(text);
  } catch {
    // JSON.parse's message may quote the text around the fault.
    throw new CliError('configuration', `${named} is not JSON`);
  }
  if (!Array.isArray(keys)) {
    throw new CliError(
      'configuration',
      `${named} must hold a JSON array of keys, each an entry of the module's "keys" option`,
    );
  }
  return keys;
}

/**
 * The module's own message for an option fault, with the option replaced by
 * its variable: `JWT_SECRET is too weak for HS256: it has 10 bytes and needs
 * at least 32 (RFC 7518 3.2)`; an entry of the keys file is named within
 * it: `JWT_KEYS_FILE: keys[1].publicKey is not a readable PEM public key`.
 * The module never puts a key in it.
 *
 * @param renamed what else sets an option, by option: `{ signingKeyId:
 *   '--kid' }`.
 */
export function describeOptionsError(
  error: JwtAuthOptionsError,
  renamed: Readonly<Record<string, string>> = {},
): string {
  const names: Readonly<Record<string, string>> = {
    ...OPTION_VARIABLES,
    ...renamed,
  };
  // Options the message names beside its own: the keys file and the JWK
  // Set by their variables, an entry of the file as it is written there.
  const plain = (text: string): string =>
    text
      .replace(
        /"(keys|jwks)"/g,
        (_quoted, option: string) => names[option] ?? option,
      )
      .replace(/"(keys\[\d+\][\w.]*)"/g, '$1');
  if (/^keys\[\d+\]/.test(error.option)) {
    return `${names.keys}: ${plain(error.message.replace(/^JwtAuthModule option /, ''))}`;
  }
  const variable = names[error.option];
  if (!Object.hasOwn(names, error.option) || variable === undefined)
    return error.message;
  const subject = `JwtAuthModule option "${error.option}"`;
  return error.message.startsWith(subject)
    ? `${variable}${plain(error.message.slice(subject.length))}`
    : `${variable}: ${plain(error.message)}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Plain decimal digits as a number; anything else as `NaN`, which the module refuses. */
function wholeNumber(value: string): number {
  return /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
}
