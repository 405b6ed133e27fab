import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The API's answers are JSON (or a file to save), never a page: the headers OWASP's REST security
 * cheat sheet gives for such answers. Nothing in them may load anything or be framed; they are not
 * kept by a browser or a proxy (cases carry personal data); HTTPS only; the content type as sent.
 * Helmet's defaults are a web page's, and the headers that only a page uses (an opener policy, an
 * origin-keyed agent cluster, DNS prefetch and old IE's download and XSS switches) cost every
 * answer a middleware call and a header each for nothing.
 */
export function apiSecurityHeaders(): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  return (req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    headers(req, res, next);
  };
}

/** The rendered API description at /docs is a page: helmet's defaults, with its own script and styles. */
export function docsSecurityHeaders(): RequestHandler {
  return helmet({ contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"] } } });
}
