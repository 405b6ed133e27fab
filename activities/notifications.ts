import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import nodemailer from 'nodemailer';
import type { PrismaClient } from '../infra/db';

export interface NotifyConfig {
  /** smtp://host:port; without it, nothing is sent by email. */
  smtpUrl?: string;
  from: string;
}

/** The signature a webhook receiver checks: HMAC-SHA256 over "<timestamp>.<body>" with its secret. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Delivery of the notification outbox: each notification is fanned out into one delivery per
 * recipient and channel, and each delivery is sent by its own activity, retried with backoff. A
 * delivery is marked sent once; a retry after a crash between sending and marking carries the same
 * id (email Message-ID, webhook X-PF-Id), so receivers can drop the repeat.
 */
export function notificationActivities(prisma: PrismaClient, config: NotifyConfig) {
  const transport = config.smtpUrl ? nodemailer.createTransport(config.smtpUrl) : null;
  return {
    async fanOutNotifications(input: { limit: number }): Promise<string[]> {
      // A batch at a time: its recipients and their preferences in two reads, every delivery and the
      // batch's mark in one transaction. One notification at a time took five statements and a
      // transaction each, a quarter of all the statements of a case's lifecycle (bench/README.md).
      const fresh = await prisma.notification.findMany({ where: { dispatchedAt: null }, orderBy: { createdAt: 'asc' }, take: input.limit });
      if (fresh.length > 0) {
        const userIds = [...new Set(fresh.flatMap((n) => (n.userId ? [n.userId] : [])))];
        const roles = [...new Set(fresh.flatMap((n) => (n.userId ? [] : [n.role ?? ''])))];
        const active = await prisma.user.findMany({
          where: { disabledAt: null, OR: [{ id: { in: userIds } }, { role: { in: roles } }] },
          select: { id: true, role: true },
        });
        const prefs = new Map(
          (await prisma.notificationPreference.findMany({ where: { userId: { in: active.map((u) => u.id) } } })).map((p) => [p.userId, p]),
        );
        const rows: Array<{ id: string; notificationId: string; userId: string; channel: string; status: string }> = [];
        for (const n of fresh) {
          const recipients = n.userId ? active.filter((u) => u.id === n.userId) : active.filter((u) => u.role === (n.role ?? ''));
          for (const r of recipients) {
            const p = prefs.get(r.id);
            if (transport && (p?.email ?? true)) rows.push({ id: `${n.id}:${r.id}:email`, notificationId: n.id, userId: r.id, channel: 'email', status: 'pending' });
            if (p?.webhookUrl) rows.push({ id: `${n.id}:${r.id}:webhook`, notificationId: n.id, userId: r.id, channel: 'webhook', status: 'pending' });
          }
        }
        await prisma.$transaction([
          ...rows.map((d) => prisma.delivery.upsert({ where: { id: d.id }, create: d, update: {} })),
          prisma.notification.updateMany({ where: { id: { in: fresh.map((n) => n.id) }, dispatchedAt: null }, data: { dispatchedAt: new Date() } }),
        ]);
      }
      const pending = await prisma.delivery.findMany({ where: { status: 'pending' }, orderBy: { createdAt: 'asc' }, take: input.limit, select: { id: true } });
      return pending.map((d) => d.id);
    },

    async deliver(deliveryId: string): Promise<void> {
      const d = await prisma.delivery.findUnique({ where: { id: deliveryId } });
      if (!d || d.status === 'sent') return;
      const [n, user, prefs] = await Promise.all([
        prisma.notification.findUniqueOrThrow({ where: { id: d.notificationId } }),
        prisma.user.findUniqueOrThrow({ where: { id: d.userId } }),
        prisma.notificationPreference.findUnique({ where: { userId: d.userId } }),
      ]);
      await prisma.delivery.update({ where: { id: d.id }, data: { attempts: { increment: 1 } } });
      try {
        if (d.channel === 'email') {
          if (!transport) throw ApplicationFailure.create({ type: 'NotConfigured', nonRetryable: true, message: 'No SMTP server is configured' });
          await transport.sendMail({
            from: config.from,
            to: user.email,
            subject: `[Programme Flow] ${n.kind}`,
            text: `${n.message}${n.dueAt ? `\n\nDue: ${n.dueAt.toISOString()}` : ''}`,
            messageId: `<${d.id}@programme-flow>`,
          });
        } else {
          if (!prefs?.webhookUrl) throw ApplicationFailure.create({ type: 'NotConfigured', nonRetryable: true, message: 'The webhook was removed' });
          const body = JSON.stringify({ id: d.id, notificationId: n.id, kind: n.kind, message: n.message, caseId: n.caseId, dueAt: n.dueAt, createdAt: n.createdAt });
          const timestamp = String(Math.floor(Date.now() / 1000));
          const res = await fetch(prefs.webhookUrl, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-pf-id': d.id,
              'x-pf-timestamp': timestamp,
              'x-pf-signature': webhookSignature(prefs.webhookSecret ?? '', timestamp, body),
            },
            body,
            signal: AbortSignal.timeout(10_000),
          });
          if (!res.ok) throw new Error(`The webhook answered ${res.status}`);
        }
      } catch (err) {
        await prisma.delivery.update({ where: { id: d.id }, data: { lastError: String((err as Error).message).slice(0, 500) } });
        throw err;
      }
      await prisma.delivery.update({ where: { id: d.id }, data: { status: 'sent', sentAt: new Date(), lastError: null } });
    },

    async markDeliveryFailed(deliveryId: string): Promise<void> {
      await prisma.delivery.updateMany({ where: { id: deliveryId, status: 'pending' }, data: { status: 'failed' } });
    },
  };
}
