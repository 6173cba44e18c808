import { readFileSync } from 'node:fs';
import { InvalidTokenError } from '../errors/invalid-token.error.js';
import { KeySetUnavailableError } from '../errors/key-set-unavailable.error.js';
import { RevocationUnavailableError } from '../errors/revocation-unavailable.error.js';
import { parseCommand } from './arguments.js';
import type { CliIo } from './cli-io.interface.js';
import { CliError } from './cli.error.js';
import { EXIT_STATUS, type ExitStatus } from './exit-status.js';
import { formatGeneratedKey, generateKey } from './generate-key.js';
import { formatFault, formatRefusal, SYNOPSIS, USAGE } from './output.js';

/**
 * Nest and the module load only for a command that uses them, so that help
 * and usage errors answer at once.
 */
const loadCommands = () => import('./commands.js');

/**
 * Runs one command line and returns its exit status. Expected faults are
 * one line on stderr, never a stack trace; nothing printed holds a secret
 * but the key `keys generate` was asked for.
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
        io.stdout(`${await (await loadCommands()).sign(command, io)}\n`);
        return EXIT_STATUS.ok;
      case 'verify':
        await (await loadCommands()).verify(command, io);
        return EXIT_STATUS.ok;
      case 'keys generate': {
        const key = await generateKey(command);
        io.stdout(formatGeneratedKey(key, command.json));
        // PEM and a bare secret have no room for the kid: it goes beside them.
        if (!command.json) io.stderr(`kid: ${key.kid}\n`);
        return EXIT_STATUS.ok;
      }
    }
  } catch (error) {
    return reportFailure(error, io);
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
  if (error instanceof KeySetUnavailableError) {
    io.stderr(
      formatFault(
        `cannot tell whether the token is valid: ${error.message} (JWT_JWKS_URI)`,
      ),
    );
    return EXIT_STATUS.failure;
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
