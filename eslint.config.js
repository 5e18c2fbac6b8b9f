// Lint rules for the whole monorepo, including the layering rules of ../shared/CONVENTIONS.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs', 'fs/promises', 'path', 'os', 'child_process', 'net', 'http', 'https', 'zlib', 'crypto',
  'stream', 'worker_threads', 'url', 'util', 'events', 'readline', 'dgram', 'tls', 'cluster',
];
const nodeBuiltinPatterns = ['node:*', ...nodeBuiltins];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/out/**', '.tmp/**', 'sample-captures/**/*.pcapng'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' },
    },
  },
  // analysis is a pure library: it never imports the app, the agent or the eBPF loader.
  {
    files: ['analysis/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/app/**', '@rewind/app*'], message: 'analysis must not import the app' },
          { group: ['**/capture-agent/**', '@rewind/capture-agent*'], message: 'analysis must not import the capture agent' },
          { group: ['**/ebpf/**', '@rewind/ebpf*'], message: 'analysis must not import the eBPF loader' },
        ],
      }],
    },
  },
  // The bundle format package is shared with the agent: it depends on nothing else in the engine.
  {
    files: ['analysis/src/bundle/**/*.ts'],
    ignores: ['analysis/src/bundle/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['../decode/**', '../flows/**', '../store/**', '../pipeline/**', '../cli/**', '../query/**', '../report/**'], message: 'bundle/ is the format package: it must stay self-contained' },
        ],
      }],
    },
  },
  // The app reaches the engine through its public entry only.
  {
    files: ['app/src/**/*.ts', 'app/src/**/*.tsx', 'capture-agent/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/analysis/src/**', '@rewind/analysis/dist/**'], message: 'use the public entry of @rewind/analysis' },
        ],
      }],
    },
  },
  // common/ is pure types; renderer/ is browser-only; preload/ is the bridge only.
  {
    // The engine's result types may be imported as types (erased from the renderer's bundle), nothing else of it.
    files: ['app/src/common/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: ['electron', 'better-sqlite3', 'react'],
        patterns: [{ group: [...nodeBuiltinPatterns, '**/main/**', '**/renderer/**', '**/preload/**'], message: 'common/ is shared with the renderer' },
          { group: ['@rewind/analysis'], allowTypeImports: true, message: 'common/ may import only types from the engine' }],
      }],
    },
  },
  {
    files: ['app/src/renderer/**/*.ts', 'app/src/renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: ['electron', 'better-sqlite3'],
        patterns: [{ group: [...nodeBuiltinPatterns, '**/main/**', '**/preload/**'], message: 'the renderer runs in the browser sandbox' },
          { group: ['@rewind/analysis'], allowTypeImports: true, message: 'the renderer may import only types from the engine' }],
      }],
    },
  },
);
