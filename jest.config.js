/**
 * Jest runs in ESM mode (Nest 12 ships ESM only): `npm test` starts it with
 * `--experimental-vm-modules`, and @swc/jest compiles TypeScript to ES
 * modules with legacy decorators and their metadata, as `tsc` does.
 */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        target: 'es2023',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
      },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    },
  ],
};

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  // The consumer apps run against the packed library (npm run test:consumers).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/consumers/'],
  transform,
};

/** @type {import('jest').Config} */
export default {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
    {
      ...shared,
      displayName: 'fuzz',
      testMatch: ['<rootDir>/test/**/*.fuzz-spec.ts'],
    },
  ],
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts', '!src/main.ts'],
  coverageDirectory: 'coverage',
};
