import { expect } from '@jest/globals';
import type {
  INestApplication,
  LoggerService,
  ModuleMetadata,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Server } from 'node:http';
import request, { type Response } from 'supertest';
import {
  bearerChallenge,
  type RefusalReason,
} from '../../src/jwt-auth/index.js';
import type { RawResponse } from './raw-http.js';

/** The HTTP platforms every e2e suite runs on. */
export const ADAPTERS = ['express', 'fastify'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

/**
 * Boots a real Nest app from `metadata` on `adapter`, listening on a free
 * loopback port; silent unless given a logger.
 */
export async function startApp(
  metadata: ModuleMetadata,
  adapter: AdapterName,
  logger: LoggerService | false = false,
): Promise<INestApplication> {
  return listen(
    await Test.createTestingModule(metadata).compile(),
    adapter,
    logger,
  );
}

/**
 * Starts an app from a compiled testing module on `adapter`, listening on a
 * free loopback port; silent unless given a logger.
 */
export async function listen(
  moduleRef: TestingModule,
  adapter: AdapterName,
  logger: LoggerService | false = false,
): Promise<INestApplication> {
  const app =
    adapter === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { logger })
      : moduleRef.createNestApplication({ logger });
  await app.listen(0, '127.0.0.1');
  return app;
}

/** A supertest agent bound to a started app. */
export const http = (app: INestApplication) =>
  request(app.getHttpServer() as Server);

/** The body of every refusal. */
export const REFUSAL_BODY = {
  statusCode: 401,
  message: 'Could not validate credentials',
  error: 'Unauthorized',
} as const;

/** The body of the module's 403 for a token that lacks a required scope. */
export const FORBIDDEN_BODY = {
  statusCode: 403,
  message: 'Insufficient scope',
  error: 'Forbidden',
} as const;

/**
 * Asserts the module's 403 for a valid token that lacks a scope the route
 * requires: the exact body and the `insufficient_scope` challenge naming
 * `scope`, the required scopes (RFC 6750 3.1).
 */
export function expectForbidden(
  response: Response,
  realm: string,
  scope: string,
): void {
  expect({
    status: response.status,
    body: response.body as unknown,
    challenge: response.headers['www-authenticate'],
  }).toEqual({
    status: 403,
    body: FORBIDDEN_BODY,
    challenge: `Bearer realm="${realm}", error="insufficient_scope", error_description="The access token does not grant the required scope", scope="${scope}"`,
  });
}

/**
 * Asserts the module's one refusal: 401, the exact body, and the exact
 * challenge: the realm alone without a description (no token presented),
 * plus `invalid_token` and the description when one was.
 */
export function expectRefusal(
  response: Response,
  realm: string,
  description?: string,
): void {
  expect({
    status: response.status,
    body: response.body as unknown,
    challenge: response.headers['www-authenticate'],
  }).toEqual({
    status: 401,
    body: REFUSAL_BODY,
    challenge:
      description === undefined
        ? `Bearer realm="${realm}"`
        : `Bearer realm="${realm}", error="invalid_token", error_description="${description}"`,
  });
  expect(response.headers['content-type']).toMatch(/^application\/json/);
}

/**
 * Asserts the module's 503 for a request whose token could not be checked
 * (failing closed): the exact body and `Retry-After: 1`. By default, for
 * its revocation; `message` for the keys of `jwks`.
 */
export function expectUnavailable(
  response: Response,
  message = 'The token revocation status is unavailable',
): void {
  expect({
    status: response.status,
    body: response.body as unknown,
    retryAfter: response.headers['retry-after'],
  }).toEqual({
    status: 503,
    body: {
      statusCode: 503,
      message,
      error: 'Service Unavailable',
    },
    retryAfter: '1',
  });
}

/**
 * `expectRefusal()` for a response read off the wire (`rawGet()`): the
 * 401, the exact body, and the challenge for `reason`.
 */
export function expectRawRefusal(
  response: RawResponse,
  realm: string,
  reason: RefusalReason,
): void {
  expect({
    status: response.status,
    body: JSON.parse(response.body) as unknown,
    challenge: response.headers['www-authenticate'],
  }).toEqual({
    status: 401,
    body: REFUSAL_BODY,
    challenge: bearerChallenge(realm, reason),
  });
}
