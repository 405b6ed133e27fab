import type { PrismaClient } from '../generated/prisma/client';
import { readModelActivities } from './read-model';

export interface ActivityDeps {
  prisma: PrismaClient;
}

/** All activities, bound to their dependencies. The worker registers what this returns. */
export function createActivities({ prisma }: ActivityDeps) {
  return {
    ...readModelActivities(prisma),
  };
}

export type Activities = ReturnType<typeof createActivities>;
