import { Logger, type INestApplication, type Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import {
  FastifyAdapter,
  type NestFastifyApplication,
} from '@nestjs/platform-fastify';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { ClientGoneFilter } from './client-gone.filter.js';
import { DemoConfigError, demoHttpAdapter, demoPort } from './demo.config.js';
import { serveDocs } from './docs.js';
import { JwtAuthOptionsError } from './jwt-auth/index.js';

/** The environment variable behind each JwtAuthModule option the demo sets. */
const OPTION_VARIABLES: Readonly<Record<string, string>> = {
  secret: 'JWT_SECRET',
  'revocation.redis.url': 'REDIS_URL',
};

/**
 * Starts the demo's root module on the adapter `HTTP_ADAPTER` names and the
 * port `PORT` names, with its API docs at `/docs`, and logs where it
 * listens. A configuration fault ends the process with status 1 and a
 * message that names the variable.
 */
export async function startDemo(
  rootModule: Type,
): Promise<INestApplication | undefined> {
  try {
    const options = { abortOnError: false };
    const onFastify = demoHttpAdapter(process.env.HTTP_ADAPTER) === 'fastify';
    const app = onFastify
      ? readJsonOnFastify(
          await NestFactory.create<NestFastifyApplication>(
            rootModule,
            new FastifyAdapter(LIKE_EXPRESS),
            options,
          ),
        )
      : readJsonOnExpress(
          await NestFactory.create<NestExpressApplication>(rootModule, options),
        );
    app.enableShutdownHooks();
    app.useGlobalFilters(new ClientGoneFilter(app.getHttpAdapter()));
    serveDocs(app);
    const port = demoPort(app.get(ConfigService));
    // Every interface, as Express listens by default; Fastify's default is
    // the loopback alone, out of reach from outside a container.
    await (onFastify ? app.listen(port, everyInterface()) : app.listen(port));
    new Logger('Demo').log(`Listening on ${await app.getUrl()}`);
    return app;
  } catch (error) {
    new Logger('Demo').fatal(`Cannot start: ${describeStartupError(error)}`);
    process.exit(1);
  }
}

/**
 * Fastify as Express is by default: paths matched without regard to case and
 * with or without a trailing slash (`/me/`), bodies of at most 100 KiB.
 */
const LIKE_EXPRESS = {
  bodyLimit: 100 * 1024,
  routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
};

/**
 * The address of every interface, as Node picks it when given none: IPv6
 * (which takes IPv4 too) where the system has it, else IPv4.
 */
function everyInterface(): string {
  const hasIpv6 = Object.values(networkInterfaces()).some((addresses) =>
    addresses?.some((address) => address.family === 'IPv6'),
  );
  return hasIpv6 ? '::' : '0.0.0.0';
}

/**
 * How the demo reads a JSON body, alike on either adapter:
 * - an empty one as `{}`, as Express does, where Fastify refuses it: clients
 *   send `Content-Type: application/json` with no body (an HTTP wrapper that
 *   sets it on every call, on `POST /auth/logout`);
 * - one that is not JSON although it says so, or in a charset, content
 *   coding or media type the demo does not read, as no body at all, where
 *   Express and Fastify answer a 400 or 415 before any guard (quoting the
 *   body, for bad JSON): a guarded route then answers with its 401, and
 *   login with its own 400, which quotes nothing (its 415, for a media
 *   type other than JSON).
 *
 * A body over the size limit is still refused (413) before it is read.
 */
function readJsonOnExpress(
  app: NestExpressApplication,
): NestExpressApplication {
  // Registered before Nest's own, which then stays out.
  app.useBodyParser('json');
  app.use(
    (
      error: unknown,
      request: { body?: unknown },
      _response: unknown,
      next: (error?: unknown) => void,
    ) => {
      if (!isUnreadableBody(error)) {
        next(error);
        return;
      }
      request.body = undefined;
      next();
    },
  );
  return app;
}

/**
 * The body-parser errors for a body it cannot read: not the JSON it says it
 * is, or in a charset or content coding it does not know.
 */
const UNREADABLE_BODY = new Set([
  'entity.parse.failed',
  'charset.unsupported',
  'encoding.unsupported',
]);

function isUnreadableBody(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    UNREADABLE_BODY.has((error as { type?: unknown }).type as string)
  );
}

/** The same reading of JSON bodies as `readJsonOnExpress()`, on Fastify. */
function readJsonOnFastify(
  app: NestFastifyApplication,
): NestFastifyApplication {
  const fastify = app.getHttpAdapter().getInstance();
  // Any other media type, or none, is read (within the size limit) and
  // dropped, as Express leaves it unread, where Fastify answers 415.
  fastify.addContentTypeParser(
    '*',
    { parseAs: 'buffer' },
    (_request, _body, done) => done(null, undefined),
  );
  const { onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const parseJson = fastify.getDefaultJsonParser(
    onProtoPoisoning ?? 'error',
    onConstructorPoisoning ?? 'error',
  );
  return app.useBodyParser<Server>(
    'application/json',
    {},
    (request, body, done) => {
      if (body.length === 0) {
        done(null, {});
        return;
      }
      // Fastify's own parser, with its refusal of `__proto__` keys.
      void parseJson(request, body.toString('utf8'), (error, value) =>
        done(null, error === null ? value : undefined),
      );
    },
  );
}

function describeStartupError(error: unknown): string {
  if (error instanceof DemoConfigError) return error.message;
  if (
    error instanceof JwtAuthOptionsError &&
    error.option in OPTION_VARIABLES
  ) {
    return `${OPTION_VARIABLES[error.option]}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}
