import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { bearerChallenge } from '../src/jwt-auth/index.js';
import { ADAPTERS, expectRawRefusal, REFUSAL_BODY } from './support/app.js';
import {
  DEMO_MAIN,
  exitOf,
  listeningUrl,
  startDemo,
  stopDemo,
  type DemoProcess,
} from './support/demo-process.js';
import { describeNeeding } from './support/describe-needing.js';
import { hostileCases } from './support/hostile-cases.js';
import { rawGet } from './support/raw-http.js';
import {
  redisUnavailableReason,
  startTestRedis,
  type TestRedis,
} from './support/redis.js';
import {
  findSeedPython,
  Seed,
  seedPythonMissingReason,
} from './support/seed.js';

/** The demo's answer to a login body that is not JSON. */
const UNSUPPORTED_MEDIA_TYPE_BODY = {
  statusCode: 415,
  message: 'Body must be JSON: Content-Type: application/json',
  error: 'Unsupported Media Type',
};

/** An IPv4 address of this machine other than the loopback, if it has one. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry?.family === 'IPv4' && !entry.internal)?.address;

/**
 * Writes `head` on a new connection, reads until the text matches `until`,
 * then writes `then` (if given) and drops the connection; returns what it read.
 */
function talk(
  port: number,
  head: string,
  until: RegExp,
  then?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let text = '';
    socket.setTimeout(10_000, () =>
      socket.destroy(new Error(`no answer matching ${until}: ${text}`)),
    );
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!until.test(text)) return;
      if (then === undefined) {
        socket.destroy();
        resolve(text);
        return;
      }
      socket.write(then, () => {
        socket.destroy();
        resolve(text);
      });
    });
    socket.on('error', reject);
  });
}

describe('the built demo process', () => {
  it('has been built', () => {
    expect(existsSync(DEMO_MAIN)).toBe(true);
  });

  describe.each(ADAPTERS)('with JWT_SECRET and HTTP_ADAPTER=%s', (adapter) => {
    const secret = randomBytes(32).toString('base64url');
    let demo: DemoProcess;
    let url: string;
    const python = findSeedPython();

    beforeAll(async () => {
      demo = startDemo({
        JWT_SECRET: secret,
        NODE_ENV: 'production',
        HTTP_ADAPTER: adapter,
        // Far above the logins these tests make from one address; the
        // limit per username stays at its default, which one test reaches.
        LOGIN_LIMIT_PER_IP: '1000',
      });
      url = await listeningUrl(demo);
    });

    afterAll(async () => {
      await stopDemo(demo);
    });

    const login = async (): Promise<string> => {
      const response = await fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { access_token: string }).access_token;
    };

    it('serves /health, /auth/login and /me', async () => {
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const token = await login();
      const me = await fetch(`${url}/me`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(me.status).toBe(200);
      expect(await me.json()).toEqual({ userId: 1 });
      const refused = await fetch(`${url}/me`);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual(REFUSAL_BODY);
      expect(refused.headers.get('www-authenticate')).toBe(
        'Bearer realm="nest-jwt-auth-demo"',
      );
    });

    it('logs out a request that sends Content-Type: application/json and no body', async () => {
      const token = await login();
      const authorization = { Authorization: `Bearer ${token}` };
      const logout = await fetch(`${url}/auth/logout`, {
        method: 'POST',
        headers: { ...authorization, 'Content-Type': 'application/json' },
      });
      expect(logout.status).toBe(204);
      const me = await fetch(`${url}/me`, { headers: authorization });
      expect(me.status).toBe(401);
      expect(await me.json()).toEqual(REFUSAL_BODY);
    });

    it('answers an empty JSON login body as one without the credentials', async () => {
      const response = await fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringMatching(/^Body must be JSON/),
      });
    });

    it('lets the guard answer a request whose body it cannot read', async () => {
      const json = { 'Content-Type': 'application/json' };
      const unreadable: ReadonlyArray<[Record<string, string>, string]> = [
        [json, '{bad'],
        [json, 'Bearer x'],
        [json, '{"a":1}}'],
        [{ 'Content-Type': 'application/json; charset=latin1' }, '{}'],
        [{ ...json, 'Content-Encoding': 'br2' }, '{}'],
        [{ 'Content-Type': 'application/octet-stream' }, 'x'],
        [{ 'Content-Type': 'text/plain' }, 'x'],
        [{ 'Content-Type': 'multipart/form-data' }, 'x'],
      ];
      for (const [headers, body] of unreadable) {
        const request = { headers, body };
        const refused = await fetch(`${url}/auth/logout`, {
          method: 'POST',
          headers,
          body,
        });
        expect({ request, status: refused.status }).toEqual({
          request,
          status: 401,
        });
        expect(await refused.json()).toEqual(REFUSAL_BODY);
        expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer /);
      }
      for (const [, body] of unreadable.slice(0, 3)) {
        const me = await rawGet(
          Number(new URL(url).port),
          '/me',
          ['Content-Type: application/json', `Content-Length: ${body.length}`],
          body,
        );
        expectRawRefusal(me, 'nest-jwt-auth-demo', 'token_missing');
      }
      for (const [headers, body] of [unreadable[0], unreadable[5]]) {
        const authorization = { Authorization: `Bearer ${await login()}` };
        const logout = await fetch(`${url}/auth/logout`, {
          method: 'POST',
          headers: { ...headers, ...authorization },
          body,
        });
        expect(logout.status).toBe(204);
        const me = await fetch(`${url}/me`, { headers: authorization });
        expect(me.status).toBe(401);
      }
    });

    it('answers a login body that is not JSON with its 400, quoting nothing of it', async () => {
      for (const body of ['{"username":"alice","password":hunter2}', '{bad']) {
        const response = await fetch(`${url}/auth/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
        });
        expect(response.status).toBe(400);
        const text = await response.text();
        expect(JSON.parse(text)).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: expect.stringMatching(/^Body must be JSON/),
        });
        expect(text).not.toMatch(/hunter2|bad/);
      }
    });

    it('answers 415 to a login body of any type but JSON, whatever it holds', async () => {
      const credentials = JSON.stringify({
        username: 'alice',
        password: 'alice-password',
      });
      const notJson: ReadonlyArray<[string | undefined, string | undefined]> = [
        [
          'application/x-www-form-urlencoded',
          'username=alice&password=alice-password',
        ],
        ['text/plain', credentials],
        ['multipart/form-data; boundary=x', credentials],
        ['application/jsonx', credentials],
        [undefined, credentials],
        [undefined, undefined],
      ];
      for (const [type, body] of notJson) {
        const response = await fetch(`${url}/auth/login`, {
          method: 'POST',
          headers: type === undefined ? {} : { 'Content-Type': type },
          // Bytes, to which fetch adds no Content-Type of its own.
          body: body === undefined ? undefined : new TextEncoder().encode(body),
        });
        expect({
          type,
          status: response.status,
          body: await response.json(),
        }).toEqual({ type, status: 415, body: UNSUPPORTED_MEDIA_TYPE_BODY });
      }
      for (const type of [
        'application/json; charset=utf-8',
        'Application/JSON',
      ]) {
        const response = await fetch(`${url}/auth/login`, {
          method: 'POST',
          headers: { 'Content-Type': type },
          body: credentials,
        });
        expect({ type, status: response.status }).toEqual({
          type,
          status: 200,
        });
      }
    });

    it('refuses the 21st attempt for one username in a minute with a 429 and Retry-After, and no other username', async () => {
      const attempt = (username: string, password: string) =>
        fetch(`${url}/auth/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username, password }),
        });
      for (let attempts = 1; attempts <= 20; attempts++) {
        const response = await attempt('mallory', `guess-${attempts}`);
        expect({ attempts, status: response.status }).toEqual({
          attempts,
          status: 401,
        });
      }
      const refused = await attempt('mallory', 'guess-21');
      expect(refused.status).toBe(429);
      expect(await refused.json()).toEqual({
        statusCode: 429,
        message: 'Too many login attempts',
        error: 'Too Many Requests',
      });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await attempt('alice', 'alice-password')).status).toBe(200);
    });

    it('refuses a body over 100 KiB with a 413, and takes one just under', async () => {
      const padded = (size: number) => {
        const body = JSON.stringify({
          username: 'alice',
          password: 'x',
          p: '',
        });
        return body.replace('""', `"${'a'.repeat(size - body.length)}"`);
      };
      const post = (body: string) =>
        fetch(`${url}/auth/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
        });
      expect(padded(100 * 1024)).toHaveLength(100 * 1024);
      expect((await post(padded(100 * 1024))).status).toBe(401);
      if (adapter === 'express') {
        // Express reads the whole body before it answers.
        expect((await post(padded(100 * 1024 + 1))).status).toBe(413);
        return;
      }
      // Fastify answers on the announced length and closes: a body sent
      // anyway would race the close. So it is announced, not sent.
      const { port } = new URL(url);
      const answer = await talk(
        Number(port),
        `POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 + 1}\r\n\r\n`,
        /^HTTP\/1\.1 \d{3} /,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    });

    it('drops a request whose client leaves mid-body, without logging an error', async () => {
      const { port } = new URL(url);
      const before = demo.output().length;
      // The 100 Continue shows the request reached the app, which then
      // waits for a body that never comes.
      const continued = await talk(
        Number(port),
        'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n',
        /^HTTP\/1\.1 100 /,
        '{"a"',
      );
      expect(continued).toMatch(/^HTTP\/1\.1 100 /);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect(demo.output().slice(before)).not.toMatch(/ERROR|aborted/);
    });

    it('matches paths as Express does: /ME and /me/ are /me', async () => {
      const token = await login();
      for (const path of ['/ME', '/me/', '/Me/']) {
        const me = await fetch(`${url}${path}`, {
          headers: { Authorization: `Bearer ${token}` },
        });
        expect({ path, status: me.status }).toEqual({ path, status: 200 });
        expect(await me.json()).toEqual({ userId: 1 });
        const refused = await fetch(`${url}${path}`);
        expect({ path, status: refused.status }).toEqual({ path, status: 401 });
        expect(await refused.json()).toEqual(REFUSAL_BODY);
      }
    });

    if (outsideAddress === undefined) {
      it.skip('listens beyond the loopback (skipped: this machine has no other IPv4 address)', () => {});
    } else {
      it('listens beyond the loopback, on every interface', async () => {
        const { port } = new URL(url);
        const health = await fetch(`http://${outsideAddress}:${port}/health`, {
          signal: AbortSignal.timeout(5000),
        });
        expect(health.status).toBe(200);
      });
    }

    describeNeeding(
      'with the seed',
      {
        needs: 'a Python with PyJWT',
        reason: python === undefined ? seedPythonMissingReason() : undefined,
      },
      () => {
        it('accepts a seed token for sub "42", and its login tokens pass the seed', async () => {
          // Defined: describeNeeding runs the suite only without a reason to skip it.
          const seed = new Seed(python as string, secret);
          const seedToken = await seed.createAccessToken({ sub: '42' });
          const me = await fetch(`${url}/me`, {
            headers: { Authorization: `Bearer ${seedToken}` },
          });
          expect(await me.json()).toEqual({ userId: 42 });
          await expect(seed.parseJwtToken(await login())).resolves.toEqual({
            ok: true,
            user_id: 1,
          });
        });
      },
    );

    it('answers every hostile request with the refusal or a 4xx of the HTTP server', async () => {
      const port = Number(new URL(url).port);
      for (const hostile of hostileCases(secret)) {
        const response = await rawGet(
          port,
          hostile.path ?? '/me',
          hostile.headers,
        );
        const expected =
          hostile.expect.status === 401
            ? bearerChallenge('nest-jwt-auth-demo', hostile.expect.reason)
            : undefined;
        expect({
          label: hostile.label,
          status: response.status,
          challenge: response.headers['www-authenticate'],
        }).toEqual({
          label: hostile.label,
          status: hostile.expect.status,
          challenge: expected,
        });
      }
    });

    it('never writes a token or the secret to its log', async () => {
      const token = await login();
      await fetch(`${url}/me`, {
        headers: { Authorization: `Bearer ${token}x` },
      });
      expect(demo.output()).not.toContain(secret);
      expect(demo.output()).not.toContain(token.split('.')[2]);
      expect(demo.output()).not.toMatch(/eyJ[A-Za-z0-9_-]+/);
    });
  });

  describeNeeding(
    'two processes sharing one Redis (REDIS_URL)',
    { needs: 'a Redis server', reason: redisUnavailableReason() },
    () => {
      let redis: TestRedis;
      const demos: DemoProcess[] = [];
      const urls: string[] = [];
      const secret = randomBytes(32).toString('base64url');

      beforeAll(async () => {
        redis = await startTestRedis();
        for (const adapter of ADAPTERS) {
          const demo = startDemo({
            JWT_SECRET: secret,
            REDIS_URL: redis.url,
            HTTP_ADAPTER: adapter,
          });
          demos.push(demo);
          urls.push(await listeningUrl(demo));
        }
      });

      afterAll(async () => {
        for (const demo of demos) {
          await stopDemo(demo);
        }
        await redis.stop().catch(() => undefined);
      });

      it('logs in on one, is served by both, logs out on one, is refused by both', async () => {
        const login = await fetch(`${urls[0]}/auth/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            username: 'alice',
            password: 'alice-password',
          }),
        });
        const { access_token: token } = (await login.json()) as {
          access_token: string;
        };
        const auth = { Authorization: `Bearer ${token}` };
        for (const url of urls) {
          expect((await fetch(`${url}/me`, { headers: auth })).status).toBe(
            200,
          );
        }
        expect(
          (
            await fetch(`${urls[0]}/auth/logout`, {
              method: 'POST',
              headers: auth,
            })
          ).status,
        ).toBe(204);
        for (const url of urls) {
          const me = await fetch(`${url}/me`, { headers: auth });
          expect(me.status).toBe(401);
          expect(me.headers.get('www-authenticate')).toContain(
            'The access token has been revoked',
          );
        }
      });
    },
  );

  it('outside production without JWT_SECRET, warns that tokens die with the process', async () => {
    const demo = startDemo({ NODE_ENV: 'development' });
    await listeningUrl(demo);
    await stopDemo(demo);
    expect(demo.output()).toMatch(
      /WARN.*JWT_SECRET is not set: using an ephemeral random secret/,
    );
  });

  it('refuses a LOGIN_LIMIT_WINDOW that is not a whole number of seconds, naming it', async () => {
    const demo = startDemo({ LOGIN_LIMIT_WINDOW: '1m' });
    expect(await exitOf(demo)).not.toBe(0);
    expect(demo.output()).toMatch(
      /Cannot start: LOGIN_LIMIT_WINDOW must be a whole number from 1 to 999999999/,
    );
  });

  it('refuses an unknown HTTP_ADAPTER, naming it', async () => {
    const demo = startDemo({ HTTP_ADAPTER: 'koa' });
    expect(await exitOf(demo)).not.toBe(0);
    expect(demo.output()).toMatch(/Cannot start: HTTP_ADAPTER/);
  });

  it.each([
    ['without JWT_SECRET', {}],
    ['with a 31-byte JWT_SECRET', { JWT_SECRET: 'q'.repeat(31) }],
  ])(
    'in production %s, exits non-zero naming JWT_SECRET',
    async (_label, env) => {
      const demo = startDemo({ NODE_ENV: 'production', ...env });
      expect(await exitOf(demo)).not.toBe(0);
      expect(demo.output()).toMatch(/Cannot start: JWT_SECRET/);
      expect(demo.output()).not.toContain('q'.repeat(31));
    },
  );
});
