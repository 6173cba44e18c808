import { Injectable } from '@nestjs/common';
import { scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** A demo account; the password is kept only as an scrypt hash. */
interface DemoUser {
  readonly id: number;
  readonly username: string;
  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
  readonly passwordHash: string;
}

/** The demo's users (passwords: `alice-password`, `bob-password`). */
const USERS: readonly DemoUser[] = [
  {
    id: 1,
    username: 'alice',
    passwordHash:
      'scrypt$16384$8$1$v79WzukbVXc9x9B5I8wHIw$8loREmB-_otklEFGzICDkooJ0fMRcbbfTUf48y6WwEY',
  },
  {
    id: 2,
    username: 'bob',
    passwordHash:
      'scrypt$16384$8$1$Aztt1t_MoZbi_PSamlwziw$GqtjEuD0WPIQC9twRBm_QTTVtYMfTi1KIu-uxRhAaNs',
  },
];

/** Checked when the username is unknown, so that both answers take as long. */
const UNKNOWN_USER_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** Looks up the demo users and checks their passwords. */
@Injectable()
export class UsersService {
  /** The user's id when the credentials match, otherwise `undefined`. */
  async verifyCredentials(
    username: string,
    password: string,
  ): Promise<number | undefined> {
    const user = USERS.find((candidate) => candidate.username === username);
    const matches = await verifyPassword(
      password,
      user?.passwordHash ?? UNKNOWN_USER_HASH,
    );
    return matches && user !== undefined ? user.id : undefined;
  }
}

async function verifyPassword(
  password: string,
  encoded: string,
): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = encoded.split('$');
  if (scheme !== 'scrypt') return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(
    password,
    Buffer.from(salt, 'base64url'),
    expected.length,
    {
      N: Number(n),
      r: Number(r),
      p: Number(p),
    },
  );
  return timingSafeEqual(actual, expected);
}

function scryptAsync(
  password: string,
  salt: Buffer,
  length: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, length, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}
