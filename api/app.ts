import express, { type Express } from 'express';
import cors from 'cors';
import swaggerUi from 'swagger-ui-express';
import { refuseNulCharacters } from './http/no-nul';
import { rateLimit } from './http/rate-limit';
import { requestLog } from './http/request-log';
import { apiSecurityHeaders, docsSecurityHeaders } from './http/security-headers';
import { buildOpenApiDocument } from './http/openapi';
import type { AppDeps, AppSettings } from './deps';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { mountRoutes } from './http/route';
import { routes } from './routes';
import { LiveViews } from './use-cases/live-views';
import { CredentialCache } from './auth/authenticate';
import { ReportCache } from './use-cases/reports';
import { ReadRecorder } from './use-cases/audit';
import { PrismaReadStore } from '../infra/read-store';

/** Builds the Express app. It does not listen: see api/server.ts. */
export function createApp(settings: AppSettings): Express {
  const deps: AppDeps = {
    ...settings,
    reads: settings.reads ?? new PrismaReadStore(settings.prisma),
    liveViews: new LiveViews(settings.temporal),
    credentials: new CredentialCache(settings.authCacheMs),
    reports: new ReportCache(settings.reportMaxAgeMs),
    readRecorder: new ReadRecorder(settings.prisma),
  };
  const app = express();
  app.disable('x-powered-by');
  // Answers carry Cache-Control: no-store (security-headers.ts), so no client revalidates with an
  // ETag; Express would otherwise hash every answer's body to make one.
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestLog(deps.logger));
  app.use(apiSecurityHeaders());
  const crossOrigin = cors({ origin: deps.corsOrigins ?? [], allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id'] });
  // Only a browser's cross-origin request carries Origin; to any other, cors would add Vary alone.
  app.use((req, res, next) => {
    if (req.headers.origin !== undefined) return crossOrigin(req, res, next);
    res.vary('Origin');
    next();
  });
  app.use(rateLimit(deps.rateLimitPerMinute ?? 6_000));
  app.use(express.json({ limit: '100kb', strict: true }));
  app.use(refuseNulCharacters);

  // The API's own description, from the same route table: /openapi.json, rendered at /docs.
  const document = buildOpenApiDocument(routes, { title: 'Programme Flow API', version: '1' });
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/docs', docsSecurityHeaders(), swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'Programme Flow API' }));

  // On the app itself: a nested router would add a second dispatch to every request.
  mountRoutes(app, routes, deps);

  app.use(notFoundHandler(routes));
  app.use(errorHandler(deps.logger, deps.prisma));
  return app;
}
