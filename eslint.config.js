import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './tools/eslint-plugin-layers.js';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { layers },
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      'layers/layer-order': 'error',
      'layers/no-cycle': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-throw-literal': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // The Hardhat project under test/hardhat is CommonJS with mocha's globals, as Hardhat projects are.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', describe: 'readonly', it: 'readonly', before: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
