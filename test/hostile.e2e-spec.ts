import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppModule } from '../src/app.module.js';
import { ADAPTERS, expectRawRefusal, startApp } from './support/app.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { hostileCases, validCases } from './support/hostile-cases.js';
import { rawGet, type RawResponse } from './support/raw-http.js';

const secret = randomBytes(32).toString('base64url');
const realm = 'nest-jwt-auth-demo';
const cases = hostileCases(secret);

describe.each(ADAPTERS)('hostile requests against the demo (%s)', (adapter) => {
  let app: INestApplication;
  let port: number;
  const logger = new CapturingLogger();
  const savedSecret = process.env.JWT_SECRET;
  const send = (
    path: string,
    headers: ReadonlyArray<string | Buffer>,
  ): Promise<RawResponse> => rawGet(port, path, headers);

  beforeAll(async () => {
    process.env.JWT_SECRET = secret;
    app = await startApp({ imports: [AppModule] }, adapter, logger);
    port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  });

  afterAll(async () => {
    await app.close();
    if (savedSecret === undefined) delete process.env.JWT_SECRET;
    else process.env.JWT_SECRET = savedSecret;
  });

  it(`has at least 120 distinct cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(120);
    expect(new Set(cases.map((c) => c.label)).size).toBe(cases.length);
    const requests = cases.map(
      (c) => `${c.path ?? '/me'}\n${c.headers.map(String).join('\n')}`,
    );
    expect(new Set(requests).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.label, c] as const))(
    '%s',
    async (_label, hostile) => {
      const response = await send(hostile.path ?? '/me', hostile.headers);
      if (hostile.expect.status === 401) {
        expectRawRefusal(response, realm, hostile.expect.reason);
      } else {
        // The HTTP server itself refused a request it cannot parse.
        expect(response.status).toBe(hostile.expect.status);
        expect(response.body).not.toContain('userId');
      }
    },
  );

  it.each(validCases(secret).map((c) => [c.label, c] as const))(
    'still answers a valid token with its exact user id: %s',
    async (_label, valid) => {
      const response = await send('/me', valid.headers);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ userId: valid.userId });
    },
  );

  it('logged each refusal as its reason code, and no token, claim or secret', () => {
    const refusals = logger.entries.filter(
      (entry) => entry.context === 'JwtAuth',
    );
    expect(refusals.length).toBeGreaterThanOrEqual(
      cases.filter((c) => c.expect.status === 401).length,
    );
    for (const entry of refusals) {
      expect(entry.level).toBe('debug');
      expect(entry.message).toMatch(/^Refused: [a-z_]+$/);
    }
    const text = logger.text();
    expect(text).not.toContain(secret);
    expect(text).not.toMatch(/eyJ|[A-Za-z0-9_-]{40,}/);
    for (const hostile of cases) {
      for (const line of hostile.headers.map(String)) {
        const credentials = line.slice(line.indexOf(':') + 1).trim();
        if (credentials.length >= 12)
          expect(text).not.toContain(credentials.slice(-12));
      }
    }
  });
});
