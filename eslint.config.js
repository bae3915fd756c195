import importX from 'eslint-plugin-import-x'
import neostandard, { plugins } from 'neostandard'

// neostandard is the style js-libp2p and Helia read as house style; on top of
// it, the import order and type-import rules their eslint-config-ipfs adds.
export default [
  ...neostandard({ ts: true, noJsx: true, ignores: ['dist/**', 'node_modules/**'] }),
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX, '@typescript-eslint': plugins['typescript-eslint'].plugin },
    rules: {
      'no-void': ['error', { allowAsStatement: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      'import-x/order': ['error', {
        groups: ['builtin', 'external', 'internal', 'parent', 'sibling', 'index', 'type'],
        'newlines-between': 'never',
        alphabetize: { order: 'asc', caseInsensitive: true }
      }]
    }
  }
]
