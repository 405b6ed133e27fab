import type { PrismaClient } from '../../infra/db';
import { type Actor, ROLES, type Role } from '../../shared';
import { problems } from '../http/problem';
import { VerifiedKeys, hashSecret, parseApiKey, verifySecret } from './api-keys';

export type Authenticate = (authorization: string | undefined) => Promise<Actor>;

/**
 * Resolves the bearer API key of a request to the acting user, or throws a 401 problem. The key id
 * finds the row; the secret is checked against its scrypt hash once, then found in `verified` on
 * later requests. Revocation, expiry and the user's state come from the row on every request.
 */
export function createAuthenticator(prisma: PrismaClient, verified = new VerifiedKeys()): Authenticate {
  return async (authorization) => {
    // One answer for a missing, malformed, unknown, forged, revoked or expired key: nothing to
    // learn by probing, not even which of these it was.
    const refuse = () => problems.unauthenticated();
    const [scheme, token, ...rest] = (authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token || rest.length > 0) throw refuse();
    const parsed = parseApiKey(token);
    if (!parsed) throw refuse();

    const row = await prisma.apiKey.findUnique({ where: { id: parsed.keyId }, include: { user: true } });
    if (!row) throw refuse();
    if (!verified.has(row.id, row.secretHash, parsed.secret)) {
      const check = await verifySecret(parsed.secret, row.secretHash);
      if (!check.ok) throw refuse();
      let stored = row.secretHash;
      if (check.upgrade) {
        // A hash from before scrypt (or with weaker parameters), replaced now that we hold the
        // secret. Conditional, so that two requests racing here both succeed and one hash wins.
        const rehashed = await hashSecret(parsed.secret);
        const { count } = await prisma.apiKey.updateMany({ where: { id: row.id, secretHash: row.secretHash }, data: { secretHash: rehashed } });
        if (count === 1) stored = rehashed;
      }
      verified.add(row.id, stored, parsed.secret);
    }
    if (row.revokedAt || (row.expiresAt && row.expiresAt <= new Date()) || row.user.disabledAt) throw refuse();
    if (!ROLES.includes(row.user.role as Role)) throw refuse();
    return { id: row.user.id, role: row.user.role as Role };
  };
}
