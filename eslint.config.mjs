import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', '**/*.gen.ts', '.data/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only']", message: 'no focused tests' },
        { selector: "CallExpression[callee.property.name='skip']", message: 'no skipped tests' },
      ],
    },
  },
  {
    // The domain stays pure: no AWS SDK, Powertools, middy or HTTP layer in functions/core (those
    // belong in functions/aws/ and functions/http/, which the services and handlers wire in).
    files: ['functions/core/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@aws-sdk/*', '@smithy/*'],
              message: 'functions/core is pure: AWS SDK adapters go in functions/aws/',
            },
            {
              group: ['@aws-lambda-powertools/*'],
              message: 'functions/core is pure: logging and metrics go in functions/aws/observability.ts',
            },
            { group: ['@middy/*'], message: 'functions/core is pure: middleware goes in functions/http/' },
            {
              group: ['**/http', '**/http/*'],
              message: 'functions/core is pure: it must not import the HTTP layer',
            },
            {
              group: ['**/aws/*', '**/exchange/*', '**/province/*', '**/embedded/*', '**/cli/*'],
              message: 'functions/core is the bottom layer: it imports nothing above it',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Services and the core never reach for the HTTP layer: errors map to HTTP through the error
    // catalogue (functions/core/errors.ts `toHcxError`), only handlers and the adapter see HTTP.
    // functions/province/http.ts is the province handlers' shared helper (it moves with them).
    files: ['functions/core/**/*.ts', 'functions/province/*.ts', 'functions/exchange/*.ts'],
    ignores: ['functions/province/http.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/http', '**/http/*'], message: 'no HTTP layer in services or core' }] },
      ],
    },
  },
);
