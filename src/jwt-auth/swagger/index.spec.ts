import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as swagger from './index.js';

const LIBRARY = fileURLToPath(new URL('..', import.meta.url));

describe('the OpenAPI entry (src/jwt-auth/swagger/index.ts)', () => {
  it('exports exactly these values; a change here is a change to the API', () => {
    expect(Object.keys(swagger).sort()).toEqual(['createJwtAuthDocument']);
  });

  it('is the only part of the library that imports @nestjs/swagger, an optional peer', () => {
    const importers = readdirSync(LIBRARY, {
      recursive: true,
      encoding: 'utf8',
    })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
      .filter((file) =>
        readFileSync(join(LIBRARY, file), 'utf8').includes(
          "from '@nestjs/swagger'",
        ),
      )
      .map((file) => relative(LIBRARY, join(LIBRARY, file)));
    expect(importers).toEqual(['swagger/jwt-auth-document.ts']);
  });
});
