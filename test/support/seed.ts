import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HARNESS = fileURLToPath(new URL('../seed/harness.py', import.meta.url));

/**
 * A Python that has PyJWT: `SEED_PYTHON` when it is set, else Debian's
 * `/usr/bin/python3` (package python3-jwt) or `python3` on the PATH.
 */
export function findSeedPython(): string | undefined {
  const chosen = process.env.SEED_PYTHON;
  // A Python named on purpose is not replaced by another behind one's back.
  const candidates = chosen ? [chosen] : ['/usr/bin/python3', 'python3'];
  return candidates.find(
    (python) =>
      spawnSync(python, ['-c', 'import jwt'], { stdio: 'ignore' }).status === 0,
  );
}

/** Why a suite that runs the seed cannot run here, when `findSeedPython()` finds none. */
export function seedPythonMissingReason(): string {
  const chosen = process.env.SEED_PYTHON;
  return chosen
    ? `SEED_PYTHON (${chosen}) is not a Python that can import jwt: point it at one with PyJWT, or unset it to use Debian's /usr/bin/python3 (apt-get install python3-jwt)`
    : 'no Python with PyJWT (tried /usr/bin/python3 and python3 on the PATH): install PyJWT (Debian: apt-get install python3-jwt) or set SEED_PYTHON to a Python that has it';
}

/** What the seed's `parse_jwt_token` made of a token. */
export type SeedVerdict =
  | { ok: true; user_id: number }
  | { ok: false; status: number; detail?: string; crash?: string };

/** Runs the seed's own code with `secret`. */
export class Seed {
  constructor(
    private readonly python: string,
    private readonly secret: string,
  ) {}

  /** The seed's `create_access_token(claims)`. */
  async createAccessToken(claims: Record<string, unknown>): Promise<string> {
    return (await this.call('create', JSON.stringify(claims))).trim();
  }

  /** The seed's `parse_jwt_token(token)`, as a verdict. */
  async parseJwtToken(token: string): Promise<SeedVerdict> {
    return JSON.parse(await this.call('parse', token)) as SeedVerdict;
  }

  private async call(command: string, argument: string): Promise<string> {
    const { stdout } = await run(this.python, [HARNESS, command, argument], {
      env: { ...process.env, SEED_SECRET: this.secret },
    });
    return stdout;
  }
}
