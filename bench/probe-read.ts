// Times the parts of one case read, serially, against a system started with `npm start`:
//   npx tsx bench/probe-read.ts   (PORT, TEMPORAL_DEV_PORT and DATA_DIR as npm start had them)
// The whole read over HTTP beside its parts: the Temporal query for the live view (from a client of
// its own) and the Prisma queries the read makes, and `SELECT 1` through $queryRaw for the floor.
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createPrismaClient } from '../infra/db';
import { Api } from '../scripts/simulation/fund-programme';
import { applicationViewQuery } from '../shared';
import { fundConfig } from '../test/helpers/fixtures';

async function time(label: string, n: number, f: () => Promise<unknown>) {
  for (let i = 0; i < 20; i++) await f();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await f();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} p50 ${t[n >> 1]!.toFixed(2)} ms  p90 ${t[Math.floor(n * 0.9)]!.toFixed(2)} ms`);
}

async function main() {
  const dataDir = path.resolve(process.env.DATA_DIR ?? 'data');
  const api = new Api(`http://127.0.0.1:${process.env.PORT ?? 3000}`);
  const admin = fs.readFileSync(path.join(dataDir, 'admin-api-key'), 'utf8').trim();
  const s = Date.now();
  const officer = (await api.must(admin, 'POST', '/users', { email: `probe.o${s}@example.cn`, displayName: 'Probe officer', role: 'officer' })).apiKey;
  const lead = (await api.must(admin, 'POST', '/users', { email: `probe.a${s}@example.cn`, displayName: 'Probe lead', role: 'applicant' })).apiKey;
  const programme = await api.must(officer, 'POST', '/programmes', {
    code: `PROBE-${s}`,
    title: 'Probe',
    kind: 'talent_fund',
    budgetFen: 9_000_000_000,
    opensAt: new Date(s - 60_000).toISOString(),
    closesAt: new Date(s + 86_400_000).toISOString(),
    config: fundConfig(),
  });
  const draft = await api.must(lead, 'POST', '/applications', { programmeId: programme.id, title: 'Probe', summary: 'Probe', field: 'new-energy', requestedFen: 800_000_000, unitName: 'Probe Co.', members: ['Li'] });
  await api.must(lead, 'POST', `/applications/${draft.id}/submit`);
  const temporal = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${process.env.TEMPORAL_DEV_PORT ?? 7233}` }) });
  const prisma = createPrismaClient(process.env.DATABASE_URL ?? `file:${path.join(dataDir, 'app.db')}`);
  await time('GET /health (no auth, no database)', 200, () => api.call(null, 'GET', '/health'));
  await time('GET /applications/:id by its applicant', 200, () => api.call(lead, 'GET', `/applications/${draft.id}`));
  await time('GET /applications/:id by an officer (audited)', 200, () => api.call(officer, 'GET', `/applications/${draft.id}`));
  await time('GET /inbox by the officer', 200, () => api.call(officer, 'GET', '/inbox'));
  await time('Temporal query of the case view', 200, () => temporal.workflow.getHandle(draft.id).query(applicationViewQuery));
  await time('Temporal describe of the case workflow', 200, () => temporal.workflow.getHandle(draft.id).describe());
  await time('Prisma: application by id', 200, () => prisma.application.findUnique({ where: { id: draft.id } }));
  await time('Prisma: an API key with its user', 200, () => prisma.apiKey.findFirst({ include: { user: true } }));
  await time('Prisma: stage history of the case', 200, () => prisma.stageHistory.findMany({ where: { caseId: draft.id }, orderBy: { seq: 'asc' } }));
  await time('Prisma: SELECT 1 through $queryRaw', 200, () => prisma.$queryRaw`SELECT 1`);
  await prisma.$disconnect();
  await temporal.connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
