import type { PrismaClient } from '../generated/prisma/client';
import { calendarActivities } from './calendar';
import { projectorActivities } from './projector';
import { ruleActivities } from './rules';
import { stationActivities } from './stations';

export interface ActivityDeps {
  prisma: PrismaClient;
}

/** All activities, bound to their dependencies. The worker registers what this returns. */
export function createActivities({ prisma }: ActivityDeps) {
  return {
    ...projectorActivities(prisma),
    ...ruleActivities(prisma),
    ...calendarActivities(),
    ...stationActivities(prisma),
  };
}

export type Activities = ReturnType<typeof createActivities>;
