import type { KeepAnswer } from '../deps';
import { inTransaction } from '../../infra/transaction';
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client';
import type { PrismaClient } from '../../infra/db';
import { type Actor, ROLES } from '../../shared';
import { generateApiKey, parseApiKey, hashSecret } from '../auth/api-keys';
import { problems } from '../http/problem';
import { writeAudit } from './audit';

export const newUserSchema = z.strictObject({
  // RFC 5321: at most 64 characters before the @ (zod's own check allows more).
  email: z.string().trim().toLowerCase().email().max(254).regex(/^[^@]{1,64}@/, 'At most 64 characters before the @'),
  displayName: z.string().trim().min(1).max(200),
  role: z.enum(ROLES),
  /** For reviewers: the fields they may be drawn for. */
  expertise: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
});
export type NewUser = z.infer<typeof newUserSchema>;

function publicUser(u: { id: string; email: string; displayName: string; role: string; expertise: unknown; createdAt: Date }) {
  return { id: u.id, email: u.email, displayName: u.displayName, role: u.role, expertise: u.expertise ?? null, createdAt: u.createdAt };
}

/** Creates a user with a first API key. The key is returned once and never stored in the clear. */
export async function createUser(
  prisma: PrismaClient,
  actor: Actor | null,
  input: NewUser,
  requestId?: string,
  presetKey?: string,
  keep?: KeepAnswer,
) {
  const key = presetKey ? await fromPreset(presetKey) : await generateApiKey();
  try {
    const user = await inTransaction(prisma, async (tx) => {
      const u = await tx.user.create({ data: input });
      await tx.apiKey.create({ data: { id: key.keyId, userId: u.id, secretHash: key.secretHash, label: 'initial' } });
      await writeAudit(tx, { actor, action: 'user.create', targetType: 'user', targetId: u.id, after: publicUser(u), requestId });
      await keep?.(tx, { user: publicUser(u), apiKey: key.key });
      return u;
    });
    return { user: publicUser(user), apiKey: key.key };
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw problems.business('AlreadyExists', `A user with email ${input.email} exists`);
    }
    throw err;
  }
}

async function fromPreset(key: string) {
  const parsed = parseApiKey(key);
  if (!parsed) throw new Error('The preset API key is malformed');
  return { key, keyId: parsed.keyId, secretHash: await hashSecret(parsed.secret) };
}

export async function issueApiKey(prisma: PrismaClient, actor: Actor, userId: string, label: string, requestId?: string) {
  const user = await prisma.user.findUnique({ where: { id: userId } });
  if (!user) throw problems.notFound('user');
  const key = await generateApiKey();
  await inTransaction(prisma, async (tx) => {
    await tx.apiKey.create({ data: { id: key.keyId, userId, secretHash: key.secretHash, label } });
    await writeAudit(tx, { actor, action: 'apikey.issue', targetType: 'user', targetId: userId, after: { keyId: key.keyId, label }, requestId });
  });
  return { keyId: key.keyId, apiKey: key.key };
}

export async function revokeApiKey(prisma: PrismaClient, actor: Actor, keyId: string, requestId?: string) {
  const row = await prisma.apiKey.findUnique({ where: { id: keyId } });
  // Users may revoke their own keys; administrators any key.
  if (!row || (actor.role !== 'admin' && row.userId !== actor.id)) throw problems.notFound('API key');
  if (row.revokedAt) return { keyId, revokedAt: row.revokedAt };
  const revokedAt = new Date();
  await inTransaction(prisma, async (tx) => {
    await tx.apiKey.update({ where: { id: keyId }, data: { revokedAt } });
    await writeAudit(tx, { actor, action: 'apikey.revoke', targetType: 'user', targetId: row.userId, after: { keyId }, requestId });
  });
  return { keyId, revokedAt };
}

export async function getMe(prisma: PrismaClient, actor: Actor) {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: actor.id } });
  return publicUser(user);
}

/**
 * The first administrator: created from BOOTSTRAP_ADMIN_* when set, or with a fresh key otherwise.
 * Does nothing when an administrator exists. Returns the new key when one was generated.
 */
export async function ensureAdmin(
  prisma: PrismaClient,
  opts: { email?: string; apiKey?: string },
): Promise<{ created: boolean; email: string; apiKey?: string }> {
  const existing = await prisma.user.findFirst({ where: { role: 'admin', disabledAt: null } });
  if (existing) return { created: false, email: existing.email };
  const email = opts.email ?? 'admin@localhost';
  const { apiKey } = await createUser(prisma, null, { email, displayName: 'Administrator', role: 'admin' }, undefined, opts.apiKey);
  return { created: true, email, apiKey: opts.apiKey ? undefined : apiKey };
}
