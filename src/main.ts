import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import 'reflect-metadata';
import { AppModule } from './app.module.js';
import { DemoConfigError, demoPort } from './demo.config.js';
import { JwtAuthOptionsError } from './jwt-auth/index.js';

/** The environment variable behind each JwtAuthModule option the demo sets. */
const OPTION_VARIABLES: Readonly<Record<string, string>> = {
  secret: 'JWT_SECRET',
};

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { abortOnError: false });
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
