import { z } from 'zod';
import type { Actor } from '../../shared';
import type { AppDeps } from '../deps';

export const preferencesSchema = z.strictObject({
  email: z.boolean().default(true),
  webhookUrl: z.url({ protocol: /^https?$/ }).max(2_000).nullable().default(null),
  /** The key the webhook's signatures are made with; at least 16 characters. */
  webhookSecret: z.string().min(16).max(200).nullable().default(null),
}).refine((p) => !p.webhookUrl || p.webhookSecret, { path: ['webhookSecret'], message: 'A webhook needs a secret to sign with' });

export async function setPreferences(deps: AppDeps, actor: Actor, p: z.infer<typeof preferencesSchema>) {
  const row = await deps.prisma.notificationPreference.upsert({ where: { userId: actor.id }, create: { userId: actor.id, ...p }, update: p });
  // The secret is never sent back.
  return { email: row.email, webhookUrl: row.webhookUrl, webhookSecretSet: Boolean(row.webhookSecret) };
}

/** My notifications, newest first, with how each was delivered. */
export async function myNotifications(deps: AppDeps, actor: Actor) {
  const rows = await deps.prisma.notification.findMany({
    where: { OR: [{ userId: actor.id }, { role: actor.role }] },
    orderBy: { createdAt: 'desc' },
    take: 200,
  });
  const deliveries = await deps.prisma.delivery.findMany({ where: { notificationId: { in: rows.map((r) => r.id) }, userId: actor.id } });
  return {
    items: rows.map((n) => ({
      id: n.id,
      kind: n.kind,
      message: n.message,
      caseId: n.caseId,
      dueAt: n.dueAt,
      createdAt: n.createdAt,
      deliveries: deliveries.filter((d) => d.notificationId === n.id).map((d) => ({ channel: d.channel, status: d.status, sentAt: d.sentAt })),
    })),
  };
}
