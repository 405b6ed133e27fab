// Prisma CLI configuration. The JS schema engine with a driver adapter keeps every Prisma command
// offline: no native engine is downloaded (see README, "Offline installs").
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

process.env.DATABASE_URL ??= 'file:./data/app.db';
const url = process.env.DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  schema: path.join('prisma', 'schema.prisma'),
  engine: 'js',
  async adapter() {
    return new PrismaBetterSQLite3({ url });
  },
});
