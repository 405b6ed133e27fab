import path from 'node:path';
import { z } from 'zod';
import { isWellFormedApiKey } from '../api/auth/api-keys';
import { APPLICATIONS_TASK_QUEUE } from '../shared';
import { DATABASE_URL_PATTERN, type DatabaseProvider, databaseProvider } from './database-url';

const optionalPath = z.string().min(1).optional();

/** Every environment variable the system reads. Documented in README.md. */
const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // SQLite (file:) embedded, or PostgreSQL (postgresql://) for several API and worker processes.
    DATABASE_URL: z
      .string()
      .regex(DATABASE_URL_PATTERN, 'DATABASE_URL must be a SQLite URL such as file:./data/app.db or a PostgreSQL URL such as postgresql://user:password@host:5432/db')
      .default('file:./data/app.db'),
    DATA_DIR: z.string().min(1).default('data'),

    // Temporal. Without TEMPORAL_ADDRESS, `npm start` runs the embedded dev server.
    TEMPORAL_ADDRESS: z.string().min(1).optional(),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default(APPLICATIONS_TASK_QUEUE),
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    TEMPORAL_TLS_CERT_PATH: optionalPath,
    TEMPORAL_TLS_KEY_PATH: optionalPath,
    TEMPORAL_TLS_CA_PATH: optionalPath,
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    TEMPORAL_CLI_PATH: optionalPath,
    // A workflow bundle built ahead by `npm run build:workflows`; without it the worker bundles
    // workflows/ itself at start (some seconds of CPU on every start).
    WORKFLOW_BUNDLE_PATH: optionalPath,
    // How many running workflows a worker keeps in memory between their tasks; a workflow not kept is
    // replayed from its history at its next task. Unset: the SDK's default, from the heap limit.
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(1_000_000).optional(),
    TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
    TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
    // The worker's Temporal SDK metrics in Prometheus format at http://<host:port>/metrics; off when unset.
    TEMPORAL_METRICS_BIND: z
      .string()
      .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'TEMPORAL_METRICS_BIND must be host:port, e.g. 0.0.0.0:9464')
      .optional(),

    // Notifications: an SMTP server for email (none: no email is sent), the sender, and how often
    // the dispatcher looks for new notifications when idle.
    SMTP_URL: z.string().regex(/^smtps?:\/\//, 'SMTP_URL must look like smtp://host:port or smtps://user:pass@host:port').optional(),
    SMTP_FROM: z.string().min(3).default('Programme Flow <no-reply@programme-flow.local>'),
    NOTIFY_IDLE_MS: z.coerce.number().int().min(100).max(600_000).default(2_000),

    // Browser origins allowed to call the API (comma-separated); none by default.
    CORS_ORIGINS: z
      .string()
      .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
      .pipe(z.array(z.url()))
      .default([]),
    // Requests per minute per caller (API key, or address for public routes).
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(6_000),
    // An idempotent request that never finished (its API process died) frees its key after this.
    IDEMPOTENCY_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
    // How long a request waits for a case's workflow (an action's outcome, a live view) before it
    // answers 503: a workflow whose worker is down must not hold a caller for ever.
    WORKFLOW_WAIT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
    // How long an API key's row, once read, answers for it: a key revoked through another API
    // process, or a user disabled in the database, is refused within this. 0 reads it every request.
    AUTH_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
    // The longest a programme report is served unchanged while nothing it reads has changed: past it,
    // overdue items and days in stage are counted again from what was read (it is read again at once
    // when something it reads changes).
    REPORT_MAX_AGE_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),

    // First administrator, created at start-up when no administrator exists yet.
    BOOTSTRAP_ADMIN_EMAIL: z.string().email().optional(),
    BOOTSTRAP_ADMIN_API_KEY: z
      .string()
      .refine(isWellFormedApiKey, 'must look like pf_<16 hex>_<43 base64url chars>; `npm run admin:create` prints one')
      .optional(),

    // The server-side key of the keyed hash (HMAC-SHA256) kept of objection filers' identity
    // numbers. Required in production; elsewhere generated once and kept under DATA_DIR.
    PII_HASH_KEY: z.string().min(32, 'must be at least 32 characters, e.g. `openssl rand -base64 32`').optional(),
  });

/** Variables that only make sense together; checked on the raw environment so that every problem is named at once. */
const PAIRS = [
  ['TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH'],
  ['BOOTSTRAP_ADMIN_EMAIL', 'BOOTSTRAP_ADMIN_API_KEY'],
] as const;

export type Config = z.infer<typeof envSchema> & {
  databaseProvider: DatabaseProvider;
  /** SQLite only: the database file's absolute path. */
  databaseFile: string | null;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validates the environment once, at start-up. Throws a ConfigError naming every bad variable. */
export function loadConfig(rawEnv: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (FOO= in a shell or .env file) means "not set".
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(env);
  const lines = parsed.success
    ? []
    : parsed.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
  for (const [a, b] of PAIRS) {
    if (Boolean(env[a]) !== Boolean(env[b])) lines.push(`  ${a}, ${b}: set both or neither`);
  }
  // A key generated into the data directory is fine on one machine, not for a deployment.
  if (env.NODE_ENV === 'production' && !env.PII_HASH_KEY) lines.push('  PII_HASH_KEY: required in production');
  // A request still waiting on its workflow must not lose its Idempotency-Key to a retry.
  if (parsed.success && parsed.data.WORKFLOW_WAIT_MS >= parsed.data.IDEMPOTENCY_LEASE_MS) {
    lines.push('  WORKFLOW_WAIT_MS: must be shorter than IDEMPOTENCY_LEASE_MS');
  }
  if (!parsed.success || lines.length > 0) {
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const provider = databaseProvider(parsed.data.DATABASE_URL);
  const databaseFile = provider === 'sqlite' ? path.resolve(parsed.data.DATABASE_URL.slice('file:'.length)) : null;
  return { ...parsed.data, databaseProvider: provider, databaseFile };
}

/** For entry points: load the configuration or exit with a clear message. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
