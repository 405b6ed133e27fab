import { defineRoute } from '../http/route';
import { problems } from '../http/problem';

export const healthRoutes = [
  defineRoute({
    method: 'get',
    path: '/healthz',
    summary: 'Checks that the database and Temporal answer',
    auth: 'public',
    handler: async ({ deps }) => {
      const checks = await Promise.all([
        deps.prisma.$queryRaw`SELECT 1`.then(() => null, (e: Error) => `database: ${e.message}`),
        deps.temporal.connection.workflowService
          .getSystemInfo({})
          .then(() => null, (e: Error) => `temporal: ${e.message}`),
      ]);
      const failures = checks.filter((c): c is string => c !== null);
      if (failures.length > 0) throw problems.unavailable(failures.join('; '));
      return { status: 'ok', checks: { database: 'ok', temporal: 'ok' } };
    },
  }),
];
