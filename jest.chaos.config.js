/** @type {import('jest').Config} */
// `npm run test:chaos`: the long, on-demand runs (the fuzzer at length, crash and kill tests), with
// the same global setup as the suite. Their files end in .chaos.ts so that `jest` alone skips them.
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['**/*.chaos.ts'],
  testTimeout: 60 * 60_000,
};
