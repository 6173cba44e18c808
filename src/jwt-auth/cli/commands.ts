import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InvalidTokenError } from '../errors/invalid-token.error.js';
import { JwtAuthOptionsError } from '../errors/jwt-auth-options.error.js';
import type { JwtAuthModuleOptions } from '../interfaces/jwt-auth-module-options.interface.js';
import { JwtAuthModule } from '../jwt-auth.module.js';
import {
  JWT_AUTH_OPTIONS,
  type ResolvedJwtAuthOptions,
} from '../jwt-auth.options.js';
import { TokenService } from '../token.service.js';
import type { SignCommand, VerifyCommand } from './arguments.js';
import type { CliIo } from './cli-io.interface.js';
import { CliError } from './cli.error.js';
import {
  describeOptionsError,
  loadEnvironment,
  moduleOptionsFromEnvironment,
} from './environment.js';
import { formatVerified } from './output.js';

/**
 * Signs a token with the module's own `TokenService` and returns it.
 *
 * @throws CliError for a fault of the arguments or the configuration.
 */
export async function sign(command: SignCommand, io: CliIo): Promise<string> {
  const options = configure(command, io);
  return withTokenService(command, options, async (tokens, resolved) => {
    const { expiresIn, keys } = resolved;
    if (keys.source === 'local' && keys.signing === undefined) {
      throw new CliError(
        'configuration',
        'JWT_KEYS_FILE has no key that signs: sign needs a private key or a secret',
      );
    }
    if (command.ttl !== undefined && command.ttl > expiresIn) {
      throw new CliError(
        'usage',
        `--ttl must be at most ${expiresIn} seconds: JWT_EXPIRES_IN sets the longest lifetime`,
      );
    }
    try {
      return await tokens.sign(
        { ...command.claims, sub: command.sub },
        { expiresIn: command.ttl },
      );
    } catch (error) {
      // The module refuses a claim it sets itself (exp, iss, ...).
      if (error instanceof TypeError) {
        throw new CliError(
          'usage',
          error.message.replace(/^TokenService\.sign\(\): /, ''),
        );
      }
      throw error;
    }
  });
}

/**
 * Verifies a token with the module's own `TokenService` and prints the
 * verdict and the claims on stdout.
 *
 * @throws InvalidTokenError when the token is refused.
 * @throws RevocationUnavailableError when the store of `REDIS_URL` cannot say.
 * @throws KeySetUnavailableError when the keys of `JWT_JWKS_URI` cannot be
 *   fetched.
 */
export async function verify(command: VerifyCommand, io: CliIo): Promise<void> {
  const options = configure(command, io);
  await withTokenService(command, options, async (tokens) => {
    const token = command.token ?? (await io.readStdin())?.trim();
    if (token === '') {
      const where = command.token === undefined ? ' on stdin' : '';
      throw new CliError('usage', `no token given${where}`);
    }
    // Longer than any token may be: refused as the module refuses one too long.
    if (token === undefined) throw new InvalidTokenError('token_malformed');
    const user = await tokens.verify(token);
    const store =
      options.revocation === undefined ? undefined : 'Redis (REDIS_URL)';
    io.stdout(formatVerified(user, store, headerKid(token)));
  });
}

/** The `kid` of a verified token's header, when it has one. */
function headerKid(token: string): string | undefined {
  const [header = ''] = token.split('.', 1);
  const { kid } = JSON.parse(
    Buffer.from(header, 'base64url').toString('utf8'),
  ) as { kid?: unknown };
  return typeof kid === 'string' ? kid : undefined;
}

/** The module options from the environment, and `sign --kid`. */
function configure(
  command: SignCommand | VerifyCommand,
  io: CliIo,
): JwtAuthModuleOptions {
  const env = loadEnvironment(io.env, io.cwd, command.dotenv);
  const options = moduleOptionsFromEnvironment(env, {
    cwd: io.cwd,
    dotenv: command.dotenv,
    command: command.name,
  });
  if (command.name === 'sign' && command.kid !== undefined)
    options.signingKeyId = command.kid;
  return options;
}

/**
 * Boots `JwtAuthModule` alone, silent, so that tokens follow exactly the
 * module's rules, and closes it (and any Redis connection) afterwards. The
 * module validates the options as it boots, once: a fault is answered
 * before any token is read.
 */
async function withTokenService<T>(
  command: SignCommand | VerifyCommand,
  options: JwtAuthModuleOptions,
  use: (tokens: TokenService, resolved: ResolvedJwtAuthOptions) => Promise<T>,
): Promise<T> {
  let app: INestApplicationContext;
  try {
    app = await NestFactory.createApplicationContext(
      JwtAuthModule.forRoot(options),
      { logger: false, abortOnError: false },
    );
  } catch (error) {
    if (!(error instanceof JwtAuthOptionsError)) throw error;
    // --kid is an argument: a key it does not name is a fault of the usage.
    if (
      command.name === 'sign' &&
      command.kid !== undefined &&
      error.option === 'signingKeyId'
    ) {
      throw new CliError(
        'usage',
        describeOptionsError(error, { signingKeyId: '--kid' }),
      );
    }
    throw new CliError('configuration', describeOptionsError(error));
  }
  try {
    return await use(
      app.get(TokenService),
      app.get<ResolvedJwtAuthOptions>(JWT_AUTH_OPTIONS),
    );
  } finally {
    await app.close();
  }
}
