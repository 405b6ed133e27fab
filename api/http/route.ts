import { randomUUID } from 'node:crypto';
import type { IRouter, NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import type { Actor, Role } from '../../shared';
import { createAuthenticator } from '../auth/authenticate';
import type { AppDeps, KeepAnswer } from '../deps';
import { FileResponse } from './file-response';
import { idempotency, idempotentUpdateId, keepAnswer } from './idempotency';
import { problems } from './problem';
import { FORBIDDEN_TEXT } from './text';

type Schema = z.ZodType;
type Infer<S> = S extends z.ZodType ? z.infer<S> : undefined;

export interface RouteContext<P, Q, B, A> {
  params: P;
  query: Q;
  body: B;
  actor: A;
  requestId: string;
  /**
   * The Temporal update id for an action this request takes: derived from the Idempotency-Key when
   * the caller sent one, so that a retry after a lost answer (or a crashed API) gets the first
   * update's outcome from Temporal instead of acting twice; otherwise unique to this request.
   */
  updateId: string;
  /**
   * Keeps the answer to this request (for its Idempotency-Key; nothing without one) inside the
   * transaction that makes its change. A write done only in the database must call it there: kept
   * after the commit, a connection lost in between would leave the write without its answer, and
   * the retry would write again.
   */
  keepAnswer: KeepAnswer;
  deps: AppDeps;
}

type Auth = 'public' | readonly Role[];

/**
 * A route declares, in one place, who may call it and what it accepts. The same declarations drive
 * authentication, validation and (later) the OpenAPI document and the authorisation matrix.
 */
export interface RouteSpec<P extends Schema | undefined, Q extends Schema | undefined, B extends Schema | undefined, A extends Auth, R> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  summary: string;
  /** 'public' routes need no credentials; otherwise the roles allowed to call it. */
  auth: A;
  params?: P;
  query?: Q;
  body?: B;
  /** Success status; 200 by default. */
  status?: number;
  /** Media types of a file answer (a FileResponse) instead of JSON. */
  produces?: readonly string[];
  /**
   * Fields of the answer shown once and never stored: an idempotent replay answers them as null
   * (a new API key, say, exists only in the first answer; only its hash is kept).
   */
  shownOnce?: readonly string[];
  handler: (ctx: RouteContext<Infer<P>, Infer<Q>, Infer<B>, A extends 'public' ? null : Actor>) => Promise<R>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteSpec<any, any, any, Auth, any>;

export function defineRoute<
  A extends Auth,
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  R = unknown,
>(spec: RouteSpec<P, Q, B, A, R>): AnyRoute {
  return spec as AnyRoute;
}

/** Every string in a request (keys too), with where it is, e.g. body.members.2. */
function forbiddenText(value: unknown, where: string, found: Array<{ path: string; message: string }>): void {
  if (typeof value === 'string') {
    if (FORBIDDEN_TEXT.test(value)) found.push({ path: where, message: 'Control, invisible or bidirectional-override characters, or broken UTF-16, are not accepted' });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => forbiddenText(v, `${where}.${i}`, found));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      forbiddenText(k, `${where}.${k}`, found);
      forbiddenText(v, `${where}.${k}`, found);
    }
  }
}

function parse(schema: Schema | undefined, value: unknown, where: string): unknown {
  const bad: Array<{ path: string; message: string }> = [];
  forbiddenText(value, where, bad);
  if (bad.length > 0) throw problems.validation(bad);
  if (!schema) {
    // A route that takes no query or body takes none: an unknown field is refused, as in a schema.
    const fields = value && typeof value === 'object' ? Object.keys(value) : [];
    if (where !== 'params' && fields.length > 0) throw problems.validation(fields.map((f) => ({ path: `${where}.${f}`, message: `This route takes no ${where}` })));
    if (where === 'body' && value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw problems.validation([{ path: 'body', message: 'This route takes no body' }]);
    }
    return undefined;
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw problems.validation(
      result.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message })),
    );
  }
  return result.data;
}

/** An answer already written as JSON (a kept report): sent as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}

const bigintAsNumber = (_k: string, v: unknown) => (typeof v === 'bigint' ? Number(v) : v);

/**
 * JSON with bigint money fields written as plain integers (fen fit in a double up to 2^53). Without
 * a replacer first: a replacer function costs every value of every answer, and the hot reads carry
 * no bigint; an answer that does fails fast at its first one and is written again with it.
 */
export function toJson(value: unknown): string {
  if (value instanceof JsonText) return value.text;
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (err instanceof TypeError) return JSON.stringify(value, bigintAsNumber);
    throw err;
  }
}

export const DEFAULT_WORKFLOW_WAIT_MS = 30_000;

/**
 * Mounts each route as three steps: authentication and the role check, then Idempotency-Key
 * handling, then the handler. Authenticating first means a refused caller writes nothing, not even
 * an idempotency record under a key id it only claimed (which could otherwise block or answer the
 * key's real owner's retries). The steps are chained in one handler, not given to the router as
 * three: each handler the router dispatches costs a pass through its layer machinery.
 */
export function mountRoutes(router: IRouter, routes: readonly AnyRoute[], deps: AppDeps): void {
  const authenticate = createAuthenticator(deps, deps.credentials);
  const idempotent = idempotency(deps.prisma, deps.idempotencyLeaseMs);
  for (const route of routes) {
    const authorise = async (req: Request, res: Response, next: NextFunction) => {
      try {
        if (route.auth !== 'public') {
          const actor = await authenticate(req.headers.authorization);
          if (!route.auth.includes(actor.role)) throw problems.forbidden();
          res.locals.actor = actor;
        }
        next();
      } catch (err) {
        next(err);
      }
    };
    const respond = async (req: Request, res: Response, next: NextFunction) => {
      try {
        const actor = (res.locals.actor as Actor | undefined) ?? null;
        if (route.body && !req.is('application/json')) throw problems.unsupportedMediaType();
        const status = (result: unknown) => (result === undefined ? 204 : (route.status ?? 200));
        // What a replay answers: the answer, less what may be shown only once (a new API key).
        const toKeep = (result: unknown) =>
          result === undefined ? '' : toJson(route.shownOnce ? { ...(result as object), ...Object.fromEntries(route.shownOnce.map((f) => [f, null])) } : result);
        let updateId: string | undefined;
        const ctx: RouteContext<unknown, unknown, unknown, Actor | null> = {
          params: parse(route.params, req.params, 'params'),
          query: parse(route.query, req.query, 'query'),
          body: parse(route.body, req.body, 'body'),
          actor,
          requestId: String(req.id),
          // Made when first asked for (by an action), and then the same for the whole request.
          get updateId() {
            return (updateId ??= idempotentUpdateId(res.locals) ?? `request-${String(req.id)}-${randomUUID()}`);
          },
          keepAnswer: (tx, result) => keepAnswer(tx, res.locals, status(result), () => toKeep(result)),
          deps,
        };
        // Every call to Temporal the handler makes shares one deadline: without it a workflow whose
        // worker is gone (or an update stuck on the server) would hold the caller indefinitely. Past
        // it the error handler answers 503; the same Idempotency-Key then reaches the same update.
        const waitMs = deps.workflowWaitMs ?? DEFAULT_WORKFLOW_WAIT_MS;
        const result = await deps.temporal.withDeadline(Date.now() + waitMs, () => route.handler(ctx as never));
        if (result instanceof FileResponse) {
          res.status(200).type(result.contentType).setHeader('content-disposition', `attachment; filename="${result.filename}"`);
          result.stream.on('error', (err) => res.destroy(err));
          result.stream.pipe(res);
          return;
        }
        const code = status(result);
        // Awaited only with a key to keep the answer under: a read neither writes its answer out
        // twice nor waits a turn for nothing.
        if (res.locals.idempotency) await keepAnswer(deps.prisma, res.locals, code, () => toKeep(result));
        if (code === 204) res.status(204).end();
        else res.status(code).type('application/json').send(toJson(result));
      } catch (err) {
        next(err);
      }
    };
    router[route.method](route.path, (req: Request, res: Response, next: NextFunction) => {
      void authorise(req, res, (err?: unknown) => {
        if (err) return next(err);
        idempotent(req, res, (err?: unknown) => (err ? next(err) : void respond(req, res, next)));
      });
    });
  }
}
