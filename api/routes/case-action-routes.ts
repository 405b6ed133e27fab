import { z } from 'zod';
import type { Actor } from '../../shared';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { type CaseAction, type LoadedCase, runCaseAction } from '../use-cases/case-actions';

/** `POST <prefix>/:id/<action>` for each action of a case's table, loading the case as the caller may see it. */
export function caseActionRoutes(
  prefix: string,
  actions: readonly CaseAction[],
  load: (deps: AppDeps, actor: Actor, id: string) => Promise<LoadedCase>,
) {
  return actions.map((a) =>
    defineRoute({
      method: 'post',
      path: `${prefix}/:id/${a.path}`,
      summary: a.summary,
      auth: a.roles,
      params: z.strictObject({ id: z.uuid(), ...(a.params ?? {}) }),
      body: a.body,
      handler: async ({ deps, actor, params, body, requestId, updateId }) =>
        runCaseAction(deps, actor, a, await load(deps, actor, params.id), params as Record<string, string> & { id: string }, body, { requestId, updateId }),
    }),
  );
}
