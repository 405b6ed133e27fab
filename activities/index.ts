import type { PrismaClient } from '../generated/prisma/client';
import { PrismaReadStore, type ReadStore } from '../infra/read-store';
import { calendarActivities } from './calendar';
import { projectorActivities } from './projector';
import { ruleActivities } from './rules';
import { type NotifyConfig, notificationActivities } from './notifications';
import { stationActivities } from './stations';

export interface ActivityDeps {
  prisma: PrismaClient;
  /** The process's read store (infra/read-store.ts); plain SQL through `prisma` when not given. */
  reads?: ReadStore;
  notify?: NotifyConfig;
}

/** All activities, bound to their dependencies. The worker registers what this returns. */
export function createActivities({ prisma, reads = new PrismaReadStore(prisma), notify = { from: 'Programme Flow <no-reply@programme-flow.local>' } }: ActivityDeps) {
  return {
    ...projectorActivities(prisma),
    ...ruleActivities(prisma, reads),
    ...calendarActivities(),
    ...stationActivities(prisma),
    ...notificationActivities(prisma, notify),
  };
}

export type Activities = ReturnType<typeof createActivities>;
