import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  UnauthorizedException,
  type INestApplication,
} from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import {
  InvalidTokenError,
  JwtAuthGuard,
  JwtAuthModule,
  REFUSAL_MESSAGE,
  TokenService,
  type AuthenticatedUser,
} from '../../src/jwt-auth/index.js';
import {
  authorizationValues,
  claimSets,
  expectedUserFromAuthorization,
  expectedUserFromClaims,
  signClaims,
} from '../support/arbitraries.js';

/**
 * The guard and TokenService against random input, in process: the same
 * properties as test/property.e2e-spec.ts without the HTTP round trip, so
 * that `npm run fuzz` can run a million cases. Under `npm test` it runs a
 * few thousand with a fixed seed.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 4000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const secret = randomBytes(32).toString('base64url');

@Controller()
class ProbeController {
  @Get('me')
  me(): void {}
}

describe('JwtAuthGuard and TokenService under random input', () => {
  let app: INestApplication;
  let guard: JwtAuthGuard;
  let tokens: TokenService;
  const handler = (
    ProbeController.prototype as unknown as Record<string, () => void>
  ).me;
  let validToken: string;
  const counts = { authorization: 0, claims: 0 };
  const passed = { authorization: false, claims: false };

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JwtAuthModule.forRoot({ secret, realm: 'fuzz' })],
      controllers: [ProbeController],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
    guard = app.get(JwtAuthGuard);
    tokens = app.get(TokenService);
    validToken = signClaims(
      { sub: '42', exp: Math.floor(Date.now() / 1000) + 3600 },
      secret,
    );
  });

  afterAll(async () => {
    await app.close();
    const total = counts.authorization + counts.claims;
    const verdict =
      passed.authorization && passed.claims
        ? 'no failure'
        : 'FAILED (see above)';
    process.stdout.write(
      `fuzz: ${total} cases (${counts.authorization} Authorization values, ${counts.claims} signed claim sets), seed ${SEED}: ${verdict}\n`,
    );
  });

  /** Runs the guard as the HTTP layer would, after the server trims the field value. */
  async function guardVerdict(
    authorization: string,
  ): Promise<number | undefined> {
    const request: {
      headers: Record<string, string>;
      user?: AuthenticatedUser;
    } = {
      headers: { authorization: authorization.replace(/^[ \t]+|[ \t]+$/g, '') },
    };
    const headers: Record<string, string> = {};
    // Node's response, as far as the refusal uses it.
    const response = {
      setHeader: (name: string, value: string) => (headers[name] = value),
    };
    const context = new ExecutionContextHost(
      [request, response],
      ProbeController,
      handler,
    );
    context.setType('http');
    try {
      await guard.canActivate(context);
    } catch (error) {
      expect(error).toBeInstanceOf(UnauthorizedException);
      expect((error as UnauthorizedException).getResponse()).toEqual({
        statusCode: 401,
        message: REFUSAL_MESSAGE,
        error: 'Unauthorized',
      });
      expect(headers['WWW-Authenticate']).toMatch(/^Bearer realm="fuzz"/);
      return undefined;
    }
    return request.user?.userId;
  }

  it('lets through only the exact valid credential', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          authorizationValues(validToken),
          fc.string({ unit: 'binary', maxLength: 120 }),
        ),
        async (value) => {
          counts.authorization++;
          expect(await guardVerdict(value)).toBe(
            expectedUserFromAuthorization(value, validToken, 42),
          );
        },
      ),
      { numRuns: Math.ceil(RUNS / 2), seed: SEED },
    );
    passed.authorization = true;
  }, 3_600_000);

  it('accepts signed claims exactly when they are valid, in the guard and in TokenService alike', async () => {
    await fc.assert(
      fc.asyncProperty(claimSets(), async (claims) => {
        counts.claims++;
        const token = signClaims(claims, secret);
        const expected = expectedUserFromClaims(claims, token);
        expect(await guardVerdict(`Bearer ${token}`)).toBe(expected);
        const verified = await tokens.verify(token).then(
          (user) => user.userId,
          (error: unknown) => {
            expect(error).toBeInstanceOf(InvalidTokenError);
            return undefined;
          },
        );
        expect(verified).toBe(expected);
      }),
      { numRuns: Math.floor(RUNS / 2), seed: SEED },
    );
    passed.claims = true;
  }, 3_600_000);
});
