/**
 * Which database a DATABASE_URL names: `file:` is SQLite (the embedded default), `postgres://` or
 * `postgresql://` is PostgreSQL. Kept free of imports: prisma.config.ts loads it before any Prisma
 * client is generated.
 */
export type DatabaseProvider = 'sqlite' | 'postgresql';

export const DATABASE_URL_PATTERN = /^(file:|postgres(ql)?:\/\/)/;

export function databaseProvider(url: string): DatabaseProvider {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  throw new Error('DATABASE_URL must be a SQLite URL (file:./data/app.db) or a PostgreSQL URL (postgresql://user:password@host:5432/db)');
}

/** The URL for logs and banners: a PostgreSQL password is masked. */
export function redactedDatabaseUrl(url: string): string {
  if (databaseProvider(url) === 'sqlite') return url;
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
