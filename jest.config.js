// jest runs the TypeScript sources as ESM (got 14 is ESM-only); type checking is tsc's job.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Kernel, e2e and package tests run inside the QEMU guest through their own make targets.
  testPathIgnorePatterns: ['/node_modules/', '/test/vm/', '/test/e2e/', '/test/deb/'],
  testTimeout: 20000,
};
