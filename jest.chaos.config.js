/**
 * `npm run test:chaos`: the long, heavy reliability tests (`*.chaos.ts`), at full size. Same set-up
 * as jest.config.js; `npm test` runs bounded versions of the same tests.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.chaos.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  setupFiles: ['<rootDir>/test/setup/quiet-runtime.ts'],
  maxWorkers: 2,
  testTimeout: 900_000,
};
