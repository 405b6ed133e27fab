/**
 * `npm run test:cluster`: the multi-process topology (scripts/cluster.ts) started from nothing,
 * driven over HTTP. Separate from `npm test`: it needs the Temporal server built with Go
 * (`bash scripts/install-tools.sh server`) and PostgreSQL (scripts/postgres.sh).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.cluster.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  maxWorkers: 1,
  testTimeout: 900_000,
};
