import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import 'reflect-metadata';
import { AppModule } from './app.module.js';
import { DemoConfigError, demoHttpAdapter, demoPort } from './demo.config.js';
import { JwtAuthOptionsError } from './jwt-auth/index.js';

/** The environment variable behind each JwtAuthModule option the demo sets. */
const OPTION_VARIABLES: Readonly<Record<string, string>> = {
  secret: 'JWT_SECRET',
};

async function bootstrap(): Promise<void> {
  const options = { abortOnError: false };
  const app =
    demoHttpAdapter(process.env.HTTP_ADAPTER) === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), options)
      : await NestFactory.create(AppModule, options);
  app.enableShutdownHooks();
  await app.listen(demoPort(app.get(ConfigService)));
  new Logger('Demo').log(`Listening on ${await app.getUrl()}`);
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

bootstrap().catch((error: unknown) => {
  new Logger('Demo').fatal(`Cannot start: ${describeStartupError(error)}`);
  process.exit(1);
});
