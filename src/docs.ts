import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createJwtAuthDocument } from './jwt-auth/swagger/index.js';

/** Where the demo serves Swagger UI. */
export const DOCS_PATH = 'docs';

/** Where the demo serves its OpenAPI document, as JSON. */
export const DOCS_JSON_PATH = 'docs-json';

/**
 * Serves the demo's API docs: Swagger UI at `/docs` and the OpenAPI
 * document at `/docs-json`. Both are plain routes of the HTTP server, not
 * of Nest's router, so no guard applies: they open without a token.
 */
export function serveDocs(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('nest-jwt-auth demo')
    .setDescription(
      'Sign in with `POST /auth/login` (alice / alice-password), press Authorize and paste the `access_token`, then call `GET /me`.',
    )
    .setVersion('1')
    .build();
  SwaggerModule.setup(DOCS_PATH, app, createJwtAuthDocument(app, config), {
    raw: ['json'],
    jsonDocumentUrl: DOCS_JSON_PATH,
  });
}
