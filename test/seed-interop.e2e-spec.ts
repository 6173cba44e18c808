import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  CurrentUser,
  JwtAuthGuard,
  JwtAuthModule,
  TokenService,
} from '../src/jwt-auth/index.js';
import { ADAPTERS, expectRefusal, http, startApp } from './support/app.js';
import { describeNeeding } from './support/describe-needing.js';
import {
  findSeedPython,
  Seed,
  seedPythonMissingReason,
} from './support/seed.js';

const secret = randomBytes(48).toString('base64url');
const realm = 'seed';
const python = findSeedPython();

@Controller()
class MeController {
  @UseGuards(JwtAuthGuard)
  @Get('me')
  me(@CurrentUser() userId: number): { userId: number } {
    return { userId };
  }
}

describeNeeding(
  'interop with the seed',
  {
    needs: 'a Python with PyJWT',
    reason: python === undefined ? seedPythonMissingReason() : undefined,
  },
  () => {
    // Defined: describeNeeding runs the suite only without a reason to skip it.
    const seedPython = python as string;
    const seed = new Seed(seedPython, secret);

    describe.each(ADAPTERS)('on %s', (adapter) => {
      let app: INestApplication;
      let tokens: TokenService;

      beforeAll(async () => {
        app = await startApp(
          {
            imports: [JwtAuthModule.forRoot({ secret, realm })],
            controllers: [MeController],
          },
          adapter,
        );
        tokens = app.get(TokenService);
      });

      afterAll(async () => {
        await app.close();
      });

      it.each([
        ['42', 42],
        ['0', 0],
      ])('accepts a token the seed signs for sub "%s"', async (sub, userId) => {
        const token = await seed.createAccessToken({ sub });
        const response = await http(app)
          .get('/me')
          .set('Authorization', `Bearer ${token}`);
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ userId });
        await expect(tokens.verify(token)).resolves.toMatchObject({ userId });
      });

      it('accepts, as the seed does, a seed token whose caller dated iat an hour back', async () => {
        const iat = Math.floor(Date.now() / 1000) - 3600;
        const token = await seed.createAccessToken({ sub: '42', iat });
        await expect(seed.parseJwtToken(token)).resolves.toEqual({
          ok: true,
          user_id: 42,
        });
        const response = await http(app)
          .get('/me')
          .set('Authorization', `Bearer ${token}`);
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ userId: 42 });
      });

      it('signs tokens the seed accepts', async () => {
        const { access_token } = await tokens.createTokenResponse(42);
        await expect(seed.parseJwtToken(access_token)).resolves.toEqual({
          ok: true,
          user_id: 42,
        });
        const zero = await tokens.sign({ sub: 0 });
        await expect(seed.parseJwtToken(zero)).resolves.toEqual({
          ok: true,
          user_id: 0,
        });
      });

      it.each([
        ['a non-numeric sub', { sub: 'alice' }, 'ValueError'],
        ['no sub', {}, 'TypeError'],
      ])(
        'refuses with 401 a seed token with %s, where the seed crashes',
        async (_label, claims, crash) => {
          const token = await seed.createAccessToken(claims);
          await expect(seed.parseJwtToken(token)).resolves.toEqual({
            ok: false,
            status: 500,
            crash,
          });
          const response = await http(app)
            .get('/me')
            .set('Authorization', `Bearer ${token}`);
          expectRefusal(
            response,
            realm,
            'The access token subject is not a valid user id',
          );
        },
      );

      it.each([' 42', '+42', '4_2', '٤٢'])(
        'refuses sub %j, which the seed takes for 42',
        async (sub) => {
          const token = await seed.createAccessToken({ sub });
          await expect(seed.parseJwtToken(token)).resolves.toEqual({
            ok: true,
            user_id: 42,
          });
          const response = await http(app)
            .get('/me')
            .set('Authorization', `Bearer ${token}`);
          expectRefusal(
            response,
            realm,
            'The access token subject is not a valid user id',
          );
        },
      );

      it('agrees with the seed on a token signed with another secret', async () => {
        const stranger = new Seed(
          seedPython,
          randomBytes(48).toString('base64url'),
        );
        const token = await stranger.createAccessToken({ sub: '42' });
        await expect(seed.parseJwtToken(token)).resolves.toMatchObject({
          ok: false,
          status: 401,
        });
        const response = await http(app)
          .get('/me')
          .set('Authorization', `Bearer ${token}`);
        expectRefusal(response, realm, 'The access token signature is invalid');
      });
    });
  },
);

describe('the seed copy under test/seed', () => {
  const seedFolder = fileURLToPath(
    new URL('../../shared/seed/', import.meta.url),
  );
  const copy = readFileSync(
    new URL('./seed/jwt_process.py', import.meta.url),
    'utf8',
  );

  const originals = existsSync(seedFolder) ? readdirSync(seedFolder) : [];
  if (originals.length === 0) {
    it.skip('matches ../shared/seed (skipped: no ../shared/seed beside this checkout)', () => {});
  } else {
    it.each(originals)(
      'holds every code block of ../shared/seed/%s, in order',
      (file) => {
        const original = readFileSync(`${seedFolder}${file}`, 'utf8');
        const blocks = [...original.matchAll(/```\n([^]*?)```/g)].map((match) =>
          match[1].trimEnd(),
        );
        expect(blocks.length).toBeGreaterThan(0);
        let from = 0;
        for (const block of blocks) {
          const at = copy.indexOf(block, from);
          expect(at).toBeGreaterThanOrEqual(from);
          from = at + block.length;
        }
      },
    );
  }

  it('defines the two functions the interop suite runs', () => {
    expect(copy).toContain('def create_access_token(data: dict):');
    expect(copy).toContain('def parse_jwt_token(token: str):');
  });
});
