import {
  INVALID_TOKEN_DESCRIPTIONS,
  type InvalidTokenCode,
} from '../errors/invalid-token.error.js';
import type { AuthenticatedUser } from '../interfaces/authenticated-user.interface.js';

/** The program's name, as installed by the package's `bin`. */
export const PROGRAM = 'nest-jwt-auth';

/** The forms of the command line: printed, on stderr, after a usage error. */
export const SYNOPSIS = `Usage:
  ${PROGRAM} sign --sub <user id> [--ttl <seconds>] [--kid <key id>] [--claim <name>=<text> | <name>:=<json> ...]
  ${PROGRAM} verify [<token> | -]
  ${PROGRAM} keys generate --algorithm <algorithm> [--kid <key id>] [--bits <n>] [--json]
  ${PROGRAM} help | --help | -h
  ${PROGRAM} --version
`;

/** `--help`. */
export const USAGE = `${SYNOPSIS}
sign           prints a new access token, alone, on stdout.
verify         checks a token (given, or read from stdin when it is "-" or
               absent) and prints the verdict and its claims; a refusal goes
               to stderr with its code.
keys generate  prints a new key: the private then the public key as PEM, or
               the secret alone; its kid goes to stderr. With --json, an entry
               of the module's keys option, kid included, for JWT_KEYS_FILE.

Options:
  --sub <user id>         the token's subject: a whole number, 0 or more
  --ttl <seconds>         lifetime; at most, and by default, JWT_EXPIRES_IN
  --kid <key id>          sign: the key of JWT_KEYS_FILE to sign with;
                          keys generate: the new key's kid (by default its
                          JWK thumbprint, RFC 7638, or random for a secret)
  --claim name=text       a string claim; repeat for more
  --claim name:=json      a JSON claim (n:=3, admin:=true, roles:=["a","b"])
  --algorithm <algorithm> HS256, HS384, HS512 (a secret), RS256, RS384, RS512,
                          PS256, PS384, PS512 (RSA), ES256, ES384, ES512 (EC)
  --bits <n>              RSA modulus: 2048 bits (default) to 16384, a multiple of 8
  --json                  print the key as JSON, for JWT_KEYS_FILE
  --dotenv <path>         also read variables from this env file (none is read without it)
  -h, --help              this help

Environment (from the process; what it lacks, from the --dotenv file if given):
  JWT_SECRET           the HMAC secret: 32 bytes or more for HS256, 48 for HS384, 64 for HS512
  JWT_ALGORITHM        with JWT_SECRET: HS256 (default), HS384 or HS512
  JWT_KEYS_FILE        or: a JSON file holding the module's keys option
  JWT_SIGNING_KEY_ID   with JWT_KEYS_FILE: the kid that signs (default: the first key that can)
  JWT_JWKS_URI         or, verify only: a provider's JWK Set URL; needs JWT_ISSUER, JWT_AUDIENCE
  JWT_EXPIRES_IN       longest token lifetime, in seconds (default 86400)
  JWT_ISSUER           iss to sign and require
  JWT_AUDIENCE         aud to sign (the first) and accept; comma-separated
  JWT_CLOCK_TOLERANCE  leeway on exp, nbf and iat, in seconds (default 0)
  REDIS_URL            verify checks revocations in this Redis

Exit status:
  0  signed, generated, or the token is valid
  1  the token is refused
  2  bad arguments or configuration
  3  the revocation store or the JWK Set did not answer, or an unexpected failure
`;

/**
 * What `verify` prints for a valid token: the verdict (with the key, when
 * the token names one), whether revocation was checked, and the claims as
 * pretty JSON.
 *
 * @param revocationStore where revocations were looked up, or `undefined`
 *   when no store shared with an application was configured.
 * @param kid the `kid` of the token's header, if any.
 */
export function formatVerified(
  user: AuthenticatedUser,
  revocationStore: string | undefined,
  kid?: string,
): string {
  const expires = new Date(user.claims.exp * 1000).toISOString();
  // A kid is any text: one that is not a plain word is quoted, escapes and all.
  const key =
    kid === undefined
      ? ''
      : `, key ${/^[\x21-\x7e]+$/.test(kid) ? kid : JSON.stringify(kid)}`;
  const revocation =
    revocationStore === undefined
      ? 'revocation: not checked (set REDIS_URL to check the store an application shares)'
      : `revocation: not revoked (checked in ${revocationStore})`;
  return [
    `valid: user ${user.userId}, expires ${expires}${key}`,
    revocation,
    JSON.stringify(user.claims, null, 2),
    '',
  ].join('\n');
}

/** What `verify` prints on stderr for a refused token: its stable code and description. */
export function formatRefusal(code: InvalidTokenCode): string {
  return `refused: ${code}: ${INVALID_TOKEN_DESCRIPTIONS[code]}\n`;
}

/** One line on stderr for a fault of the command line itself. */
export function formatFault(message: string): string {
  return `${PROGRAM}: ${message}\n`;
}
