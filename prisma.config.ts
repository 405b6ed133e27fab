// Prisma CLI configuration. The JS schema engine with a driver adapter keeps every Prisma command
// offline: no native engine is downloaded (see README, "Offline installs"). DATABASE_URL chooses
// the database: SQLite (file:) with prisma/schema.prisma and prisma/migrations, or PostgreSQL
// (postgresql://) with the schema derived from it (scripts/postgres-schema.sh) and
// prisma/migrations-postgres.
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { databaseProvider } from './infra/database-url';
import { postgresCliAdapter } from './infra/postgres-cli-adapter';

process.env.DATABASE_URL ??= 'file:./data/app.db';
const url = process.env.DATABASE_URL;
const postgres = databaseProvider(url) === 'postgresql';

export default defineConfig({
  experimental: { adapter: true },
  schema: postgres ? path.join('generated', 'postgres', 'schema.prisma') : path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', postgres ? 'migrations-postgres' : 'migrations') },
  engine: 'js',
  async adapter() {
    return postgres ? postgresCliAdapter(url) : new PrismaBetterSQLite3({ url });
  },
});
