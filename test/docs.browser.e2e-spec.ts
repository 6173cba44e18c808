import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  chromium,
  type Browser,
  type Locator,
  type Page,
} from 'playwright-core';
import { ADAPTERS } from './support/app.js';
import { chromiumPath, chromiumUnavailableReason } from './support/chromium.js';
import { describeNeeding } from './support/describe-needing.js';
import {
  listeningUrl,
  startDemo,
  stopDemo,
  type DemoProcess,
} from './support/demo-process.js';

/** How long one step in the page may take, in milliseconds: the machine is slow and shared. */
const STEP_TIMEOUT = 30_000;

// A browser session of a few clicks takes seconds here, more on a busy machine.
jest.setTimeout(120_000);

/** Swagger UI's id for an operation: `operations-<tag>-<operationId>`. */
const LOGIN = '#operations-Auth-AuthController_login';
const ME = '#operations-Me-MeController_me';

/** Expands an operation, presses "Try it out", lets `fill` enter parameters, and presses "Execute". */
async function execute(
  page: Page,
  operationId: string,
  fill: (operation: Locator) => Promise<void> = async () => {},
): Promise<{ status: string; body: string }> {
  const operation = page.locator(operationId);
  await operation.locator('.opblock-summary-control').click();
  await operation.locator('.try-out__btn').click();
  await fill(operation);
  await operation.locator('.execute').click();
  const response = operation.locator('.live-responses-table .response');
  const status = response.locator('.response-col_status');
  await status.waitFor();
  return {
    status: (await status.textContent())?.trim() ?? '',
    body:
      (await response
        .locator('.response-col_description .highlight-code pre')
        .textContent()) ?? '',
  };
}

describeNeeding(
  'the demo API docs in a browser',
  { needs: 'Chromium', reason: chromiumUnavailableReason() },
  () => {
    let browser: Browser;

    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: chromiumPath(),
        headless: true,
        // CI runs as root, where Chromium's sandbox cannot start.
        args: ['--no-sandbox'],
      });
    });

    afterAll(async () => {
      await browser?.close();
    });

    describe.each(ADAPTERS)('HTTP_ADAPTER=%s', (adapter) => {
      let demo: DemoProcess;
      let url: string;

      beforeAll(async () => {
        demo = startDemo({
          JWT_SECRET: randomBytes(32).toString('base64url'),
          NODE_ENV: 'production',
          HTTP_ADAPTER: adapter,
        });
        url = await listeningUrl(demo);
      });

      afterAll(async () => {
        await stopDemo(demo);
      });

      /** A page in a fresh context: nothing authorized, nothing stored. */
      async function openDocs(): Promise<Page> {
        const page = await (await browser.newContext()).newPage();
        page.setDefaultTimeout(STEP_TIMEOUT);
        const response = await page.goto(`${url}/docs`);
        expect(response?.status()).toBe(200);
        return page;
      }

      it('serves the OpenAPI document at /docs-json without a token', async () => {
        const response = await fetch(`${url}/docs-json`);
        expect(response.status).toBe(200);
        const document = (await response.json()) as {
          paths: Record<
            string,
            Record<
              string,
              {
                security?: unknown;
                responses: Record<string, { headers?: object }>;
              }
            >
          >;
        };
        expect(document.paths['/me'].get.security).toEqual([{ bearer: [] }]);
        const login = document.paths['/auth/login'].post;
        expect(login.security).toBeUndefined();
        expect(Object.keys(login.responses)).toEqual([
          '200',
          '400',
          '401',
          '415',
          '429',
        ]);
        expect(login.responses['429'].headers).toHaveProperty('Retry-After');
        expect(document.paths['/health'].get.security).toBeUndefined();
      });

      it('signs in, authorizes with the token and calls GET /me', async () => {
        const page = await openDocs();
        try {
          const login = await execute(page, LOGIN, async (operation) => {
            await operation.locator('textarea.body-param__text').fill(
              JSON.stringify({
                username: 'alice',
                password: 'alice-password',
              }),
            );
          });
          expect(login.status).toBe('200');
          const token = (JSON.parse(login.body) as { access_token?: unknown })
            .access_token;
          if (typeof token !== 'string') {
            throw new Error(
              `POST /auth/login answered without a token: ${login.body}`,
            );
          }

          await page.locator('.auth-wrapper .authorize').click();
          const dialog = page.locator('.modal-ux');
          await dialog.locator('input').fill(token);
          await dialog.locator('.auth-btn-wrapper .authorize').click();
          await dialog.locator('.auth-btn-wrapper .btn-done').click();
          await dialog.waitFor({ state: 'detached' });

          const me = await execute(page, ME);
          expect(me.status).toBe('200');
          expect(JSON.parse(me.body)).toEqual({ userId: 1 });
        } finally {
          await page.context().close();
        }
      });

      it('gets 401 from GET /me without authorizing', async () => {
        const page = await openDocs();
        try {
          const me = await execute(page, ME);
          expect(me.status).toBe('401');
          expect(JSON.parse(me.body)).toMatchObject({
            message: 'Could not validate credentials',
          });
        } finally {
          await page.context().close();
        }
      });
    });
  },
);
