import { NestFactory } from '@nestjs/core';
import { InvalidTokenError } from '../errors/invalid-token.error.js';
import { JwtAuthOptionsError } from '../errors/jwt-auth-options.error.js';
import type { JwtAuthModuleOptions } from '../interfaces/jwt-auth-module-options.interface.js';
import { JwtAuthModule } from '../jwt-auth.module.js';
import { resolveJwtAuthOptions } from '../jwt-auth.options.js';
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
  const { options, expiresIn } = configure(command.dotenv, io, {
    revocation: false,
  });
  if (command.ttl !== undefined && command.ttl > expiresIn) {
    throw new CliError(
      'usage',
      `--ttl must be at most ${expiresIn} seconds: JWT_EXPIRES_IN sets the longest lifetime`,
    );
  }
  return withTokenService(options, async (tokens) => {
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
 */
export async function verify(command: VerifyCommand, io: CliIo): Promise<void> {
  const { options } = configure(command.dotenv, io, { revocation: true });
  const token = command.token ?? (await io.readStdin())?.trim();
  if (token === '') {
    const where = command.token === undefined ? ' on stdin' : '';
    throw new CliError('usage', `no token given${where}`);
  }
  // Longer than any token may be: refused as the module refuses one too long.
  if (token === undefined) throw new InvalidTokenError('token_malformed');
  await withTokenService(options, async (tokens) => {
    const user = await tokens.verify(token);
    const store =
      options.revocation === undefined ? undefined : 'Redis (REDIS_URL)';
    io.stdout(formatVerified(user, store));
  });
}

/**
 * The module options from the environment, checked by the module's own
 * rules before anything boots, with the lifetime they resolve to.
 */
function configure(
  dotenv: string | undefined,
  io: CliIo,
  needs: { readonly revocation: boolean },
): { options: JwtAuthModuleOptions; expiresIn: number } {
  const env = loadEnvironment(io.env, io.cwd, dotenv);
  const options = moduleOptionsFromEnvironment(env, dotenv, needs);
  try {
    return { options, expiresIn: resolveJwtAuthOptions(options).expiresIn };
  } catch (error) {
    if (error instanceof JwtAuthOptionsError) {
      throw new CliError('configuration', describeOptionsError(error));
    }
    throw error;
  }
}

/**
 * Boots `JwtAuthModule` alone, silent, so that tokens follow exactly the
 * module's rules, and closes it (and any Redis connection) afterwards.
 */
async function withTokenService<T>(
  options: JwtAuthModuleOptions,
  use: (tokens: TokenService) => Promise<T>,
): Promise<T> {
  const app = await NestFactory.createApplicationContext(
    JwtAuthModule.forRoot(options),
    { logger: false, abortOnError: false },
  );
  try {
    return await use(app.get(TokenService));
  } finally {
    await app.close();
  }
}
