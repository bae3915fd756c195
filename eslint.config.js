import importX from 'eslint-plugin-import-x'
import globals from 'globals'
import neostandard, { plugins } from 'neostandard'

// neostandard is the style js-libp2p and Helia read as house style; on top of
// it, the import order and type-import rules their eslint-config-ipfs adds.
export default [
  ...neostandard({ ts: true, noJsx: true, ignores: ['dist/**', 'node_modules/**'] }),
  {
    rules: {
      // `void promise` marks a promise left to run on purpose
      'no-void': ['error', { allowAsStatement: true }],
      // a variable read by a callback before its one assignment (libp2p's own
      // node, handed to a guard built before it) cannot be const
      'prefer-const': ['error', { destructuring: 'all', ignoreReadBeforeAssign: true }]
    }
  },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX, '@typescript-eslint': plugins['typescript-eslint'].plugin },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      // `const Code = {…} as const` beside `type Code` is how the code names a
      // closed set of values; tsc reports a real redeclaration
      '@typescript-eslint/no-redeclare': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none', caughtErrors: 'none', ignoreRestSiblings: true, varsIgnorePattern: '^_' }],
      'import-x/order': ['error', {
        groups: ['builtin', 'external', 'internal', 'parent', 'sibling', 'index', 'type'],
        'newlines-between': 'never',
        alphabetize: { order: 'asc', caseInsensitive: true }
      }]
    }
  },
  {
    // the web UI's page, and the bench script that runs inside it
    files: ['src/ui/static/**/*.js', 'bench/ui-page.js'],
    languageOptions: { globals: globals.browser }
  }
]
