import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { JwtAuthOptionsError } from '../errors/jwt-auth-options.error.js';
import type { JwtAuthModuleOptions } from '../interfaces/jwt-auth-module-options.interface.js';
import { CliError } from './cli.error.js';

/** Variables by name, as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The environment variable behind each module option the command line sets. */
const OPTION_VARIABLES: Readonly<Record<string, string>> = {
  secret: 'JWT_SECRET',
  algorithm: 'JWT_ALGORITHM',
  expiresIn: 'JWT_EXPIRES_IN',
  issuer: 'JWT_ISSUER',
  audience: 'JWT_AUDIENCE',
  clockTolerance: 'JWT_CLOCK_TOLERANCE',
  'revocation.redis.url': 'REDIS_URL',
};

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
 * The `JwtAuthModule` options the variables describe. Only presence and
 * number syntax are checked here; every other rule is the module's own
 * (`resolveJwtAuthOptions`), whose faults `describeOptionsError` names by
 * variable. An empty variable counts as unset.
 *
 * - `JWT_SECRET` (required): the HMAC secret, as UTF-8 text, like the demo's.
 * - `JWT_ALGORITHM`, `JWT_ISSUER`: as the options.
 * - `JWT_AUDIENCE`: one audience, or several separated by commas.
 * - `JWT_EXPIRES_IN`, `JWT_CLOCK_TOLERANCE`: whole seconds.
 * - `REDIS_URL`: with `revocation`, revocations are checked in that Redis.
 *
 * @param dotenv the env file `env` was read from beside the process, if
 *   any (`--dotenv`): where else to tell the user to set a missing variable.
 */
export function moduleOptionsFromEnvironment(
  env: Environment,
  dotenv: string | undefined,
  { revocation }: { readonly revocation: boolean },
): JwtAuthModuleOptions {
  const secret = nonEmpty(env.JWT_SECRET);
  if (secret === undefined) {
    const elsewhere =
      dotenv === undefined
        ? ', or in an env file named with --dotenv'
        : ` or in ${dotenv}`;
    throw new CliError(
      'configuration',
      `JWT_SECRET is missing: set it in the environment${elsewhere}`,
    );
  }
  const options: JwtAuthModuleOptions = { secret };
  const algorithm = nonEmpty(env.JWT_ALGORITHM);
  // The module refuses any name outside the union, naming the option.
  if (algorithm !== undefined)
    options.algorithm = algorithm as JwtAuthModuleOptions['algorithm'];
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
  if (revocation && redisUrl !== undefined)
    options.revocation = { redis: { url: redisUrl, mirror: false } };
  return options;
}

/**
 * The module's own message for an option fault, with the option replaced by
 * its variable: `JWT_SECRET is too weak for HS256: it has 10 bytes and needs
 * at least 32 (RFC 7518 3.2)`. The module never puts a secret in it.
 */
export function describeOptionsError(error: JwtAuthOptionsError): string {
  const variable = OPTION_VARIABLES[error.option];
  if (!Object.hasOwn(OPTION_VARIABLES, error.option) || variable === undefined)
    return error.message;
  const subject = `JwtAuthModule option "${error.option}"`;
  return error.message.startsWith(subject)
    ? `${variable}${error.message.slice(subject.length)}`
    : `${variable}: ${error.message}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Plain decimal digits as a number; anything else as `NaN`, which the module refuses. */
function wholeNumber(value: string): number {
  return /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
}
