import { z } from 'zod';
import { ROLES } from '../../shared';
import { defineRoute } from '../http/route';
import { myNotifications, preferencesSchema, setPreferences } from '../use-cases/notifications';
import { createUser, getMe, issueApiKey, newUserSchema, revokeApiKey } from '../use-cases/users';

export const userRoutes = [
  defineRoute({
    method: 'put',
    path: '/me/notification-preferences',
    summary: 'Choose how to be notified: email, a signed webhook, or both',
    auth: ROLES,
    body: preferencesSchema,
    handler: ({ deps, actor, body }) => setPreferences(deps, actor, body),
  }),
  defineRoute({
    method: 'get',
    path: '/me/notifications',
    summary: 'My notifications, newest first, and how each was delivered',
    auth: ROLES,
    handler: ({ deps, actor }) => myNotifications(deps, actor),
  }),
  defineRoute({
    method: 'get',
    path: '/me',
    summary: 'The calling user',
    auth: ROLES,
    handler: ({ deps, actor }) => getMe(deps.prisma, actor),
  }),
  defineRoute({
    method: 'post',
    path: '/users',
    summary: 'Create a user with a role and a first API key (shown once)',
    auth: ['admin'],
    body: newUserSchema,
    status: 201,
    shownOnce: ['apiKey'],
    handler: ({ deps, actor, body, requestId, keepAnswer }) => createUser(deps.prisma, actor, body, requestId, undefined, keepAnswer),
  }),
  defineRoute({
    method: 'post',
    path: '/users/:id/api-keys',
    summary: 'Issue another API key for a user (shown once)',
    auth: ['admin'],
    params: z.strictObject({ id: z.uuid() }),
    body: z.strictObject({ label: z.string().trim().min(1).max(100) }),
    status: 201,
    shownOnce: ['apiKey'],
    handler: ({ deps, actor, params, body, requestId }) => issueApiKey(deps.prisma, actor, params.id, body.label, requestId),
  }),
  defineRoute({
    method: 'delete',
    path: '/api-keys/:keyId',
    summary: 'Revoke an API key (your own, or any as an administrator)',
    auth: ROLES,
    params: z.strictObject({ keyId: z.string().regex(/^[0-9a-f]{16}$/) }),
    handler: async ({ deps, actor, params, requestId }) => {
      const revoked = await revokeApiKey(deps.prisma, actor, params.keyId, requestId);
      // Refused from this process's next request on; other API processes within AUTH_CACHE_MS.
      deps.credentials.forget(params.keyId);
      return revoked;
    },
  }),
];
