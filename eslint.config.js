import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // test/consumers/ are apps of their own, with their own tsconfig and
    // dependencies, checked by their compiler in npm run test:consumers.
    ignores: [
      'dist/',
      'dist-bench/',
      'coverage/',
      'node_modules/',
      'test/consumers/',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      // The public API is async throughout, also where a step is synchronous today.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The library and the demo log through Nest's Logger only.
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
);
