import type { PrismaClient } from '../generated/prisma/client';
import { calendarActivities } from './calendar';
import { projectorActivities } from './projector';
import { ruleActivities } from './rules';
import { type NotifyConfig, notificationActivities } from './notifications';
import { stationActivities } from './stations';

export interface ActivityDeps {
  prisma: PrismaClient;
  notify?: NotifyConfig;
}

/** All activities, bound to their dependencies. The worker registers what this returns. */
export function createActivities({ prisma, notify = { from: 'Programme Flow <no-reply@programme-flow.local>' } }: ActivityDeps) {
  return {
    ...projectorActivities(prisma),
    ...ruleActivities(prisma),
    ...calendarActivities(),
    ...stationActivities(prisma),
    ...notificationActivities(prisma, notify),
  };
}

export type Activities = ReturnType<typeof createActivities>;
