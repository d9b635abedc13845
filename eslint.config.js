// Lint rules the house style asks for: complexity ≤ 10, no floating promises, explicit return types.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'charts/**', 'src/runtimes/*/test/apps/**', '**/*.mjs', '**/*.cjs', '**/*.js'] },
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
);
