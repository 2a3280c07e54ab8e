// ESLint: typescript-eslint's type-aware recommended rules over the TypeScript sources.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'prover/',
      'fixtures/',
      'bench/out/',
      'cluster/',
      '.venv*/',
      'interop/',
      'docs/',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // vitest.config.ts sits outside tsconfig.json's folders: typed by the default project.
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests assert on JSON.parse output and page.evaluate results (any); expect() checks them.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // expect(obj.method).toHaveBeenCalled-style references are not calls that lose `this`.
      '@typescript-eslint/unbound-method': 'off',
      // Hostile-input tests build malformed documents on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
      // Assertion messages interpolate whatever value failed, objects included.
      '@typescript-eslint/restrict-template-expressions': 'off',
      // A spy keeps the first instance it sees (`first ??= this`) to compare later calls with.
      '@typescript-eslint/no-this-alias': 'off',
      // report.test.ts parses the page's script with new Function, as a browser would.
      '@typescript-eslint/no-implied-eval': 'off',
    },
  },
  {
    files: ['src/check/row-codegen.ts'],
    // The row evaluators are generated JavaScript, compiled with new Function by design.
    rules: { '@typescript-eslint/no-implied-eval': 'off' },
  },
  {
    files: ['src/isa/text.ts'],
    // printable() escapes control characters: its regular expression names them on purpose.
    rules: { 'no-control-regex': 'off' },
  },
  {
    files: ['src/cli/commands/*.ts', 'test/**/*.ts'],
    // Commands share the async (args, out) => Promise<number> shape; some have nothing to await.
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    files: ['src/trace/read/reader.ts', 'test/support/trace-edit.ts'],
    // Every apache-arrow DataType subclass defines toString ('Int32', 'FixedSizeList[3]<Int32>').
    rules: { '@typescript-eslint/no-base-to-string': 'off' },
  },
  {
    files: ['src/trace/write/arrow-batch.ts'],
    // makeData's overloads need the schema's field type as apache-arrow types it (any).
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
);
