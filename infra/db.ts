import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../generated/prisma/client';

/**
 * Creates the process's Prisma client. Call once per process (entry points) and pass it down.
 * SQLite waits up to `timeoutMs` for a lock instead of failing at once when another writer holds it.
 */
export function createPrismaClient(databaseUrl: string, timeoutMs = 10_000): PrismaClient {
  const adapter = new PrismaBetterSQLite3({ url: databaseUrl, timeout: timeoutMs });
  return new PrismaClient({ adapter });
}

export type { PrismaClient };
