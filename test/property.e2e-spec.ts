import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { AppModule } from '../src/app.module.js';
import { ADAPTERS, http, REFUSAL_BODY, startApp } from './support/app.js';
import {
  authorizationValues,
  claimSets,
  expectedUserFromAuthorization,
  expectedUserFromClaims,
  signClaims,
} from './support/arbitraries.js';

/** Bounded and reproducible here; `npm run fuzz` runs the same properties at scale. */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261125);

const secret = randomBytes(32).toString('base64url');

describe.each(ADAPTERS)('properties of the demo over HTTP (%s)', (adapter) => {
  let app: INestApplication;
  let validToken: string;
  const savedSecret = process.env.JWT_SECRET;

  beforeAll(async () => {
    process.env.JWT_SECRET = secret;
    app = await startApp({ imports: [AppModule] }, adapter);
    validToken = signClaims(
      { sub: '42', exp: Math.floor(Date.now() / 1000) + 3600 },
      secret,
    );
  });

  afterAll(async () => {
    await app.close();
    if (savedSecret === undefined) delete process.env.JWT_SECRET;
    else process.env.JWT_SECRET = savedSecret;
  });

  /** 200 with the user, or exactly the refusal; nothing else, never a 5xx. */
  async function expectVerdict(
    authorization: string,
    userId: number | undefined,
  ): Promise<void> {
    const response = await http(app)
      .get('/me')
      .set('Authorization', authorization);
    if (userId === undefined) {
      expect({
        status: response.status,
        body: response.body as unknown,
      }).toEqual({
        status: 401,
        body: REFUSAL_BODY,
      });
      expect(response.headers['www-authenticate']).toMatch(
        /^Bearer realm="nest-jwt-auth-demo"/,
      );
    } else {
      expect({
        status: response.status,
        body: response.body as unknown,
      }).toEqual({
        status: 200,
        body: { userId },
      });
    }
  }

  it('answers any Authorization value with 200 only for the exact valid credential', async () => {
    await fc.assert(
      fc.asyncProperty(authorizationValues(validToken), async (value) => {
        await expectVerdict(
          value,
          expectedUserFromAuthorization(value, validToken, 42),
        );
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('answers any correctly signed claim set with 200 exactly when the claims are valid', async () => {
    await fc.assert(
      fc.asyncProperty(claimSets(), async (claims) => {
        const token = signClaims(claims, secret);
        await expectVerdict(
          `Bearer ${token}`,
          expectedUserFromClaims(claims, token),
        );
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
