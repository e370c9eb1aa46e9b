import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import boundaries (docs/architecture.md): each folder may import only the folders below it.
// Layers, bottom up: net (pure IP helpers) → model → parsers → checks → health; model → ipvs →
// reconcile; config (parsers + model); clock, errors, log are shared utilities; daemon and cli sit on
// top and may import everything (cli above daemon). Paths are matched on the import text, so every
// depth of "../" is covered by the leading "**/".
const FOLDERS = ['net', 'model', 'checks', 'health', 'ipvs', 'reconcile', 'config', 'log', 'status', 'daemon', 'cli'];
const UTIL = ['**/clock.js', '**/errors.js', '**/version.js', '**/cli.js'];

/** A no-restricted-imports rule forbidding every project folder except `allowed` (and the file's own). */
function onlyImports(own, allowed, { parsers = [], utils = [] } = {}) {
  const banned = FOLDERS.filter((f) => f !== own && !allowed.includes(f)).map((f) => `**/${f}/**`);
  const parserBans = ['ldirectord-cf', 'ipvsadm'].filter((p) => !parsers.includes(p)).map((p) => `**/parsers/${p}/**`);
  const utilBans = UTIL.filter((u) => !utils.includes(u));
  return [
    'error',
    {
      patterns: [
        {
          group: [...banned, ...parserBans, ...utilBans],
          message: `${own} may import only ${[...allowed, ...parsers.map((p) => `parsers/${p}`), ...utils].join(', ') || 'nothing of the project'} (docs/architecture.md, boundary rules).`,
        },
      ],
    },
  ];
}

const boundaries = [
  { files: ['src/net/**/*.ts'], rules: { 'no-restricted-imports': onlyImports('net', []) } },
  { files: ['src/model/**/*.ts'], rules: { 'no-restricted-imports': onlyImports('model', ['net']) } },
  {
    files: ['parsers/ldirectord-cf/**/*.ts'],
    rules: { 'no-restricted-imports': onlyImports('parsers', ['model', 'net'], { parsers: ['ldirectord-cf'] }) },
  },
  {
    files: ['parsers/ipvsadm/**/*.ts'],
    rules: { 'no-restricted-imports': onlyImports('parsers', ['model', 'net'], { parsers: ['ipvsadm'] }) },
  },
  {
    files: ['src/checks/**/*.ts'],
    rules: { 'no-restricted-imports': onlyImports('checks', ['model', 'net'], { utils: ['**/clock.js', '**/errors.js'] }) },
  },
  {
    files: ['src/health/**/*.ts'],
    rules: { 'no-restricted-imports': onlyImports('health', ['checks', 'model', 'net'], { utils: ['**/clock.js', '**/errors.js'] }) },
  },
  {
    files: ['src/ipvs/**/*.ts'],
    rules: { 'no-restricted-imports': onlyImports('ipvs', ['model', 'net', 'log'], { utils: ['**/clock.js', '**/errors.js'] }) },
  },
  {
    // The ipvsadm backend reads and writes ipvsadm's text; the fake speaks it for tests and the bench.
    // TODO(codec merge): netlink/ and normalize.ts stop importing parsers/ipvsadm when src/net lands.
    files: ['src/ipvs/ipvsadm.ts', 'src/ipvs/fake.ts', 'src/ipvs/index.ts'],
    rules: {
      'no-restricted-imports': onlyImports('ipvs', ['model', 'net', 'log'], { parsers: ['ipvsadm'], utils: ['**/clock.js', '**/errors.js'] }),
    },
  },
  {
    files: ['src/reconcile/**/*.ts'],
    rules: { 'no-restricted-imports': onlyImports('reconcile', ['model', 'ipvs', 'net', 'log'], { utils: ['**/clock.js', '**/errors.js'] }) },
  },
  {
    // Log lines render operations in ipvsadm's notation (upstream logs ipvsadm command lines).
    files: ['src/reconcile/messages.ts'],
    rules: {
      'no-restricted-imports': onlyImports('reconcile', ['model', 'ipvs', 'net', 'log'], { parsers: ['ipvsadm'], utils: ['**/clock.js', '**/errors.js'] }),
    },
  },
  {
    files: ['src/config/**/*.ts'],
    rules: { 'no-restricted-imports': onlyImports('config', ['model', 'net', 'log'], { parsers: ['ldirectord-cf'], utils: ['**/clock.js', '**/errors.js'] }) },
  },
  {
    // Status (issue 14): snapshot, control socket, metrics= listener. The only folder that may use
    // node:http and prom-client; it reads the daemon through StatusSource and never imports it.
    files: ['src/status/**/*.ts'],
    rules: { 'no-restricted-imports': onlyImports('status', ['model', 'net', 'health', 'ipvs', 'reconcile', 'log'], { utils: ['**/clock.js', '**/errors.js'] }) },
  },
  {
    // HTTP and Prometheus stay out of the daemon core and every layer below status.
    files: ['src/**/*.ts', 'parsers/**/*.ts'],
    ignores: ['src/status/**', 'src/checks/**', 'src/daemon/main.ts', 'src/cli/**', 'src/cli.ts'],
    rules: { 'no-restricted-syntax': ['error', { selector: "ImportDeclaration[source.value=/^(prom-client|node:http|node:https)$/]", message: 'HTTP and prom-client belong in src/status (docs/architecture.md).' }] },
  },
  { files: ['src/log/**/*.ts'], rules: { 'no-restricted-imports': onlyImports('log', [], { utils: ['**/clock.js'] }) } },
  {
    files: ['src/daemon/**/*.ts'],
    rules: {
      'no-restricted-imports': onlyImports('daemon', FOLDERS.filter((f) => f !== 'cli'), {
        parsers: ['ldirectord-cf', 'ipvsadm'],
        utils: ['**/clock.js', '**/errors.js', '**/version.js'],
      }),
    },
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'coverage/', 'debian/', 'bench/results/', '.vmrig/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...boundaries,
  {
    files: ['**/*.js', '**/*.cjs', 'bin/*'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // Plain-Node helper scripts of the guest harnesses (test/parity).
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setInterval: 'readonly' } },
  },
);
