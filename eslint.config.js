// ESLint (flat config) with typescript-eslint, run by `npm run lint` inside `npm test`.
// Import layering and cycles are checked by dependency-cruiser (.dependency-cruiser.cjs);
// formatting by Prettier (.prettierrc.json). This file holds the code rules only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'native/build/', 'bench/out/', '.tap/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // The style guide: no `any`, numeric consts instead of enums, type-only imports spelled as such.
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use numeric consts, not enum.' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Prettier wraps code at 120 columns but never comments; an output line spelled as one
      // template or string stays whole, as it reads like what it prints.
      'max-len': [
        'error',
        { code: 120, ignoreTemplateLiterals: true, ignoreStrings: true, ignoreUrls: true, ignoreRegExpLiterals: true },
      ],
      'no-console': 'off',
    },
  },
  {
    // tap tracks the promise of every t.test() itself; awaiting each one is not its idiom.
    files: ['test/**/*.ts', 'bench/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      // ipvsadm's listings are column-exact; a regex with the literal spaces reads like the output.
      'no-regex-spaces': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'writable',
        module: 'writable',
        Buffer: 'readonly',
      },
    },
  },
);
