import { z } from 'zod';
import type { AnyRoute } from './route';
import { ALLOWED_TEXT_PATTERN } from './text';

// The OpenAPI 3.1 document, built from the same route table and zod schemas that authenticate and
// validate requests: a route cannot exist without being documented. OpenAPI 3.1 schemas are JSON
// Schema 2020-12, which zod emits itself.

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return withTextRule(rest) as Record<string, unknown>;
}

/**
 * Every free string (no pattern, format or enum of its own) gets the pattern the route layer
 * enforces on all text: no control, invisible or bidirectional-override characters.
 */
function withTextRule(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withTextRule);
  if (!node || typeof node !== 'object') return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, withTextRule(v)])) as Record<string, unknown>;
  const free = out.type === 'string' && !('pattern' in out) && !('format' in out) && !('enum' in out) && !('const' in out) && !('allOf' in out);
  return free ? { ...out, pattern: ALLOWED_TEXT_PATTERN } : out;
}

function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((w) => (w.startsWith(':') ? `by-${w.slice(1)}` : w))
    .join('-')
    .split(/[^A-Za-z0-9]+/);
  return method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const s = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, prop]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    schema: prop,
  }));
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: PROBLEM_REF } } });

/** The error answers a route can give, by what it declares. */
function errorResponses(route: AnyRoute) {
  const r: Record<string, unknown> = {
    '400': problem('The request is not valid (ValidationFailed, BadRequest)'),
    '404': problem('No such resource, or one the caller may not see (NotFound)'),
    '429': problem('Too many requests from this caller (RateLimited)'),
    '431': problem('The URL and headers together are over 16 kB (HeadersTooLarge)'),
    '500': problem('An error on our side (InternalError); quote the request id'),
    '503': problem('A dependency is unavailable (Unavailable)'),
  };
  if (route.auth !== 'public') {
    r['401'] = problem('Missing, malformed, unknown, expired or revoked API key (Unauthenticated)');
    r['403'] = problem(`The caller's role is not one of: ${route.auth.join(', ')} (Forbidden, NotYourCase)`);
  }
  if (route.method !== 'get') {
    r['409'] = problem('A business rule refuses the action (WrongStage, DeadlinePassed, BudgetExhausted, QuotaReached, AlreadyDone, ...)');
    r['422'] = problem('The action does not fit the case (InvalidAction)');
  }
  if (route.body) {
    r['413'] = problem('The body is too large (PayloadTooLarge)');
    r['415'] = problem('The body is not application/json (UnsupportedMediaType)');
  }
  return r;
}

export function buildOpenApiDocument(routes: readonly AnyRoute[], info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = toOpenApiPath(route.path);
    const status = String(route.status ?? 200);
    const roles = route.auth === 'public' ? [] : [...route.auth];
    paths[path] ??= {};
    paths[path]![route.method] = {
      operationId: operationId(route.method, route.path),
      summary: route.summary,
      description: route.auth === 'public' ? 'Public: no credentials needed.' : `Roles: ${roles.join(', ')}.`,
      tags: [route.path.split('/')[1] ?? 'system'],
      security: route.auth === 'public' ? [] : [{ apiKey: [] }],
      'x-roles': roles,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
      responses: {
        [status]:
          status === '204'
            ? { description: 'Done' }
            : route.produces
              ? { description: 'A file, streamed', content: Object.fromEntries(route.produces.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])) }
              : { description: 'Success', content: { 'application/json': { schema: { type: 'object' } } } },
        ...errorResponses(route),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'Talent and funding programmes of a hi-tech zone. Money is in fen (1/100 yuan). Errors are RFC 9457 problem details with a stable `code`. Authenticate with `Authorization: Bearer <API key>`.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: pf_<key id>_<secret>' } },
      schemas: {
        // Exactly what every error answer carries (api/http/problem.ts), so that a stray field or
        // a non-problem error body breaks the document.
        Problem: {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'title', 'status', 'code', 'detail'],
          properties: {
            type: { type: 'string', pattern: '^urn:programme-flow:problem:[A-Za-z]+$', description: 'urn:programme-flow:problem:<code>' },
            title: { type: 'string', minLength: 1 },
            status: { type: 'integer', minimum: 400, maximum: 599 },
            detail: { type: 'string' },
            instance: { type: 'string' },
            code: { type: 'string', pattern: '^[A-Za-z]+$', description: 'Stable, machine-readable' },
            requestId: { type: 'string' },
            errors: {
              type: 'array',
              items: { type: 'object', additionalProperties: false, required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
            },
          },
        },
      },
    },
  };
}
