// `npm run bench:auth`: what authenticating an API key costs, on a real migrated SQLite database:
// the scrypt check of a key's first request against the remembered (LRU) path of the next ones,
// with the row read again and with the row kept (AUTH_CACHE_MS), and the bare row read and the old
// SHA-256 check as baselines measured in the same run. The row read as a Prisma model query, as it
// was until the fifteenth session, is timed beside the plain SQL read that replaced it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VerifiedKeys, parseApiKey, verifySecret } from '../api/auth/api-keys';
import { CredentialCache, createAuthenticator, readKeyRow } from '../api/auth/authenticate';
import { createUser } from '../api/use-cases/users';
import { createPrismaClient } from '../infra/db';
import { migrateDatabase } from '../infra/migrate';
import { createReadStore } from '../infra/read-store';

async function time(label: string, runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < Math.min(3, runs); i++) await fn(); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / runs;
  console.log(`${label.padEnd(58)} ${ms.toFixed(3).padStart(9)} ms/op  (${runs} runs)`);
  return ms;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-bench-auth-'));
  const url = `file:${path.join(dir, 'bench.db')}`;
  await migrateDatabase(url);
  const prisma = createPrismaClient(url);
  const reads = createReadStore(url, prisma);
  const deps = { prisma, reads };
  try {
    const { apiKey, user } = await createUser(prisma, null, { email: 'bench@example.cn', displayName: 'Bench', role: 'officer' });
    const { keyId, secret } = parseApiKey(apiKey)!;
    const row = await prisma.apiKey.findUniqueOrThrow({ where: { id: keyId } });
    const header = `Bearer ${apiKey}`;
    const runs = Number(process.env.BENCH_RUNS ?? 30);
    console.log(`API key authentication, ${runs} runs each; stored hash ${row.secretHash.split('$').slice(0, 2).join('$')}`);

    const legacy = createHash('sha256').update(secret).digest('hex');
    const sha = await time('old SHA-256 check alone (baseline)', runs * 100, () => verifySecret(secret, legacy));
    const scrypt = await time('scrypt check alone', runs, () => verifySecret(secret, row.secretHash));
    const cold = await time("authenticate, a key's first request (row read + scrypt)", runs, () => createAuthenticator(deps, new CredentialCache(0), new VerifiedKeys())(header));
    const warm = createAuthenticator(deps, new CredentialCache(0));
    await warm(header);
    const cached = await time('authenticate, later requests (row read + LRU hit)', runs * 10, () => warm(header));
    const kept = createAuthenticator(deps, new CredentialCache(60_000));
    await kept(header);
    const keptMs = await time('authenticate, later requests (row kept + LRU hit)', runs * 100, () => kept(header));
    const read = await time('row read alone (plain SQL with its user, baseline)', runs * 10, () => readKeyRow(reads, keyId));
    const modelRead = await time('row read as a Prisma model query (before)', runs * 10, () => prisma.apiKey.findUnique({ where: { id: keyId }, include: { user: true } }));
    console.log(
      `\nfirst request / later request: ${(cold / cached).toFixed(0)}x; later request / bare row read: ${(cached / read).toFixed(2)}x; ` +
        `row kept / row read: ${(keptMs / cached).toFixed(3)}x; scrypt / SHA-256: ${(scrypt / sha).toFixed(0)}x; ` +
        `Prisma model read / SQL read: ${(modelRead / read).toFixed(0)}x`,
    );
    if ((await warm(header)).id !== user.id || (await kept(header)).id !== user.id) throw new Error('authentication returned another user');
  } finally {
    reads.close();
    await prisma.$disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
