// Lint rules the house style asks for: complexity ≤ 10, no floating promises, explicit return types.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // test apps are the programs under test (their style is part of what is tested); *.js is build output
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'charts/**', 'src/runtimes/*/test/apps/**', '**/*.js', '!eslint.config.js'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      complexity: ['error', 10],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/explicit-function-return-type': ['error', { allowExpressions: true, allowTypedFunctionExpressions: true }],
    },
  },
  {
    // Tests: tap tracks its own subtests (a top-level t.test() promise is awaited by tap), and a test body is
    // a straight list of assertions, where optional chaining alone would count against the complexity limit.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/runtimes/*/test/**/*.ts'],
    rules: {
      '@typescript-eslint/explicit-function-return-type': 'off',
      complexity: 'off',
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
  {
    // Scripts, benchmarks and test helpers in plain JavaScript: the same limits, without type information.
    files: ['**/*.mjs', '**/*.cjs', 'eslint.config.js'],
    extends: [tseslint.configs.recommended],
    rules: {
      complexity: ['error', 10],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // Written before lint covered *.mjs: five functions over the limit, allowed up to their size here until they
  // are split (node build 21, python build 17 and findInterpreters 12, the receiver's handler 17 and anyValue 11);
  // then delete this entry.
  { files: ['src/runtimes/node/build.mjs', 'src/runtimes/python/build.mjs', 'test/support/receiver.mjs'], rules: { complexity: ['error', 21] } },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
