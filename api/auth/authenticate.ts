import type { PrismaClient } from '../../infra/db';
import { type ReadStore, isoTime } from '../../infra/read-store';
import { type Actor, ROLES, type Role } from '../../shared';
import { problems } from '../http/problem';
import { VerifiedKeys, hashSecret, parseApiKey, verifySecret } from './api-keys';

export type Authenticate = (authorization: string | undefined) => Promise<Actor>;

export const DEFAULT_AUTH_CACHE_MS = 2_000;

interface KeyRow {
  id: string;
  secretHash: string;
  revokedAt: Date | null;
  expiresAt: Date | null;
  user: { id: string; role: string; disabledAt: Date | null };
}

/**
 * API-key rows (with their user's role and state) as read at most `maxAgeMs` ago, so that a key in
 * use costs one database read per interval instead of one per request: that read was the largest
 * single cost of a small authenticated request. Expiry is still compared with the clock on every
 * request. A key revoked through this process's API is forgotten at once; a change made elsewhere
 * (another API process, or the database directly: a user disabled, an expiry moved) takes effect
 * within `maxAgeMs`. Zero reads the row on every request. A Map in insertion order is the LRU.
 */
export class CredentialCache {
  private readonly rows = new Map<string, { row: KeyRow; readAt: number }>();

  constructor(
    readonly maxAgeMs = DEFAULT_AUTH_CACHE_MS,
    readonly capacity = 10_000,
  ) {}

  get(keyId: string, now: number): KeyRow | null {
    const kept = this.rows.get(keyId);
    if (!kept) return null;
    if (now - kept.readAt >= this.maxAgeMs || now < kept.readAt) {
      this.rows.delete(keyId);
      return null;
    }
    return kept.row;
  }

  set(row: KeyRow, now: number): void {
    if (this.maxAgeMs <= 0) return;
    this.rows.delete(row.id);
    this.rows.set(row.id, { row, readAt: now });
    while (this.rows.size > this.capacity) this.rows.delete(this.rows.keys().next().value!);
  }

  /** Drops a key's row, so that the next request reads it again (after a revocation, say). */
  forget(keyId: string): void {
    this.rows.delete(keyId);
  }
}

const asDate = (v: unknown) => {
  const iso = isoTime(v);
  return iso === null ? null : new Date(iso);
};

/**
 * A key's row with its user's role and state, in plain SQL through the read store: as a Prisma
 * model query it took 0.85-1.0 ms a read, as SQL 0.005 ms (`npm run bench:auth`, the fifteenth
 * session, bench/README.md).
 */
export async function readKeyRow(reads: ReadStore, keyId: string): Promise<KeyRow | null> {
  const [r] = await reads.all<{ id: string; secretHash: string; revokedAt: unknown; expiresAt: unknown; userId: string; role: string; disabledAt: unknown }>(
    `SELECT k."id", k."secretHash", k."revokedAt", k."expiresAt", u."id" AS "userId", u."role", u."disabledAt"
     FROM "ApiKey" k JOIN "User" u ON u."id" = k."userId" WHERE k."id" = ?`,
    [keyId],
  );
  if (!r) return null;
  return {
    id: r.id,
    secretHash: r.secretHash,
    revokedAt: asDate(r.revokedAt),
    expiresAt: asDate(r.expiresAt),
    user: { id: r.userId, role: r.role, disabledAt: asDate(r.disabledAt) },
  };
}

/**
 * Resolves the bearer API key of a request to the acting user, or throws a 401 problem. The key id
 * finds the row (from `rows` when read recently); the secret is checked against its scrypt hash
 * once, then found in `verified` on later requests. Revocation, expiry and the user's state come
 * from the row.
 */
export function createAuthenticator(
  { prisma, reads }: { prisma: PrismaClient; reads: ReadStore },
  rows = new CredentialCache(),
  verified = new VerifiedKeys(),
): Authenticate {
  return async (authorization) => {
    // One answer for a missing, malformed, unknown, forged, revoked or expired key: nothing to
    // learn by probing, not even which of these it was.
    const refuse = () => problems.unauthenticated();
    const [scheme, token, ...rest] = (authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token || rest.length > 0) throw refuse();
    const parsed = parseApiKey(token);
    if (!parsed) throw refuse();

    const now = Date.now();
    let row = rows.get(parsed.keyId, now);
    if (!row) {
      row = await readKeyRow(reads, parsed.keyId);
      if (!row) throw refuse();
      rows.set(row, now);
    }
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
        rows.forget(row.id);
      }
      verified.add(row.id, stored, parsed.secret);
    }
    if (row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= now) || row.user.disabledAt) throw refuse();
    if (!ROLES.includes(row.user.role as Role)) throw refuse();
    return { id: row.user.id, role: row.user.role as Role };
  };
}
