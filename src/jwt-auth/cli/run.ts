import { NestFactory } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import { InvalidTokenError } from '../errors/invalid-token.error.js';
import { JwtAuthOptionsError } from '../errors/jwt-auth-options.error.js';
import { RevocationUnavailableError } from '../errors/revocation-unavailable.error.js';
import type { JwtAuthModuleOptions } from '../interfaces/jwt-auth-module-options.interface.js';
import { JwtAuthModule } from '../jwt-auth.module.js';
import { resolveJwtAuthOptions } from '../jwt-auth.options.js';
import { TokenService } from '../token.service.js';
import { parseCommand, type SignCommand } from './arguments.js';
import { CliError } from './cli.error.js';
import {
  describeOptionsError,
  loadEnvironment,
  moduleOptionsFromEnvironment,
  type Environment,
} from './environment.js';
import { EXIT_STATUS, type ExitStatus } from './exit-status.js';
import {
  formatFault,
  formatRefusal,
  formatVerified,
  SYNOPSIS,
  USAGE,
} from './output.js';

/** What the command line reads and writes: the process's, or a test's. */
export interface CliIo {
  readonly env: Environment;
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /**
   * Standard input as text, or `undefined` when it is longer than any token
   * could be (it is not read to its end).
   */
  readonly readStdin: () => Promise<string | undefined>;
}

/**
 * Runs one command line and returns its exit status. Expected faults are
 * one line on stderr, never a stack trace; nothing printed holds the secret.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
): Promise<ExitStatus> {
  try {
    const command = parseCommand(argv);
    switch (command.name) {
      case 'help':
        io.stdout(USAGE);
        return EXIT_STATUS.ok;
      case 'version':
        io.stdout(`${packageVersion()}\n`);
        return EXIT_STATUS.ok;
      case 'sign':
        io.stdout(`${await sign(command, io)}\n`);
        return EXIT_STATUS.ok;
      case 'verify':
        return await verify(command.envFile, command.token, io);
    }
  } catch (error) {
    return reportFailure(error, io);
  }
}

async function sign(command: SignCommand, io: CliIo): Promise<string> {
  const { options, expiresIn } = configure(command.envFile, io, {
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

async function verify(
  envFile: string | undefined,
  given: string | undefined,
  io: CliIo,
): Promise<ExitStatus> {
  const { options } = configure(envFile, io, { revocation: true });
  const token = given ?? (await io.readStdin())?.trim();
  if (token === '') throw new CliError('usage', 'no token given on stdin');
  // Longer than any token may be: refused as the module refuses one too long.
  if (token === undefined) throw new InvalidTokenError('token_malformed');
  return withTokenService(options, async (tokens) => {
    const user = await tokens.verify(token);
    const store =
      options.revocation === undefined ? undefined : 'Redis (REDIS_URL)';
    io.stdout(formatVerified(user, store));
    return EXIT_STATUS.ok;
  });
}

/**
 * The module options from the environment, checked by the module's own
 * rules before anything boots, with the lifetime they resolve to.
 */
function configure(
  envFile: string | undefined,
  io: CliIo,
  needs: { readonly revocation: boolean },
): { options: JwtAuthModuleOptions; expiresIn: number } {
  const env = loadEnvironment(io.env, io.cwd, envFile);
  const options = moduleOptionsFromEnvironment(env, envFile ?? '.env', needs);
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

function reportFailure(error: unknown, io: CliIo): ExitStatus {
  if (error instanceof InvalidTokenError) {
    io.stderr(formatRefusal(error.code));
    return EXIT_STATUS.refused;
  }
  if (error instanceof CliError) {
    io.stderr(formatFault(error.message));
    if (error.code === 'usage') io.stderr(SYNOPSIS);
    return EXIT_STATUS.usage;
  }
  if (error instanceof RevocationUnavailableError) {
    io.stderr(
      formatFault(`cannot tell whether the token is revoked: ${error.message}`),
    );
    return EXIT_STATUS.failure;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(formatFault(`unexpected failure: ${message}`));
  return EXIT_STATUS.failure;
}

function packageVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  return manifest.version;
}
