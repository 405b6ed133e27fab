import type { Client } from '@temporalio/client';
import type { PrismaClient } from '../infra/db';
import type { Logger } from '../infra/logger';
import type { CredentialCache } from './auth/authenticate';
import type { LiveViews } from './use-cases/live-views';
import type { ReportCache } from './use-cases/reports';
import type { ReadRecorder } from './use-cases/audit';
import type { ReadStore } from '../infra/read-store';

/** The ids a request's actions carry: its request id (audit) and the Temporal update id (idempotency). */
export interface RequestIds {
  requestId: string;
  updateId: string;
}

/**
 * Keeps a request's answer for its Idempotency-Key inside the transaction that makes its change
 * (RouteContext.keepAnswer); use cases that write only to the database take it.
 */
export type KeepAnswer = (tx: Pick<PrismaClient, 'idempotencyRecord'>, result: unknown) => Promise<void>;

/** What the API's use cases need; built once per process by the entry point. */
export interface AppDeps {
  prisma: PrismaClient;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  /** Browser origins allowed by CORS; none when absent. */
  corsOrigins?: string[];
  rateLimitPerMinute?: number;
  /** How long an unfinished idempotent request holds its key before a retry may take it over. */
  idempotencyLeaseMs?: number;
  /** How long a request waits on Temporal (an update's outcome, a query) before answering 503. */
  workflowWaitMs?: number;
  /** The key of the keyed hash kept of identity numbers (infra/pii.ts). */
  piiHashKey: string;
  /** How long an API key's row, once read, answers for it (api/auth/authenticate.ts). */
  authCacheMs?: number;
  /** The longest a programme report is served unchanged (api/use-cases/reports.ts, ReportCache). */
  reportMaxAgeMs?: number;
  /** Plain SQL for the hottest reads (infra/read-store.ts); Prisma's raw queries when not given. */
  reads: ReadStore;
  /** Cases' live views, kept while their histories stand still (one per app). */
  liveViews: LiveViews;
  /** API-key rows read recently (one per app). */
  credentials: CredentialCache;
  /** Programme reports, kept until their programme changes (one per app). */
  reports: ReportCache;
  /** Staff reads of personal data, appended to the audit trail in batches (one per app). */
  readRecorder: ReadRecorder;
}

/** What an entry point gives createApp; the app makes the rest. */
export type AppSettings = Omit<AppDeps, 'liveViews' | 'credentials' | 'reads' | 'reports' | 'readRecorder'> & { reads?: ReadStore };
