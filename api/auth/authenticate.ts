import type { PrismaClient } from '../../infra/db';
import { type Actor, ROLES, type Role } from '../../shared';
import { problems } from '../http/problem';
import { parseApiKey, secretMatches } from './api-keys';

/** Resolves the bearer API key of a request to the acting user, or throws a 401 problem. */
export async function authenticate(prisma: PrismaClient, authorization: string | undefined): Promise<Actor> {
  if (!authorization) throw problems.unauthenticated();
  const [scheme, token, ...rest] = authorization.split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !token || rest.length > 0) {
    throw problems.unauthenticated('Use "Authorization: Bearer <key>"');
  }
  const parsed = parseApiKey(token);
  if (!parsed) throw problems.unauthenticated('The API key is malformed');

  const row = await prisma.apiKey.findUnique({ where: { id: parsed.keyId }, include: { user: true } });
  // One answer for unknown, forged, revoked and expired keys: nothing to learn by probing.
  const invalid = () => problems.unauthenticated('The API key is not valid');
  if (!row || !secretMatches(parsed.secret, row.secretHash)) throw invalid();
  if (row.revokedAt || (row.expiresAt && row.expiresAt <= new Date()) || row.user.disabledAt) throw invalid();
  if (!ROLES.includes(row.user.role as Role)) throw invalid();
  return { id: row.user.id, role: row.user.role as Role };
}
