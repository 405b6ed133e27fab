import type { AnyRoute } from '../http/route';
import { applicationRoutes } from './applications';
import { auditRoutes } from './audit';
import { healthRoutes } from './health';
import { programmeRoutes } from './programmes';
import { registerRoutes } from './registers';
import { stationRoutes } from './stations';
import { userRoutes } from './users';

/** Every route of the API. */
export const routes: readonly AnyRoute[] = [...healthRoutes, ...userRoutes, ...programmeRoutes, ...applicationRoutes, ...stationRoutes, ...registerRoutes, ...auditRoutes];
