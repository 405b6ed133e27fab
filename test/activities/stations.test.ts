import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities';
import { createPrismaClient } from '../../infra/db';
import { reconcile } from '../../money/ledger';
import { stationProgrammeConfigSchema } from '../../shared/programme-config';
import { type TestDatabase, freshDatabase } from '../helpers/db';
import { stationConfig } from '../helpers/fixtures';

let db: TestDatabase;
beforeAll(() => {
  db = freshDatabase();
});
afterAll(() => db.close());

async function programme(quota: number) {
  const config = stationProgrammeConfigSchema.parse(stationConfig());
  const p = await db.prisma.programme.create({
    data: { code: `WZ-${Math.random()}`, title: 'Stations', kind: 'workstation', budgetFen: 10_000_000_000n, opensAt: new Date(), closesAt: new Date(Date.now() + 1e10), config: config as never, createdById: 'o' },
  });
  return { programmeId: p.id, type: { ...config.stationTypes[0]!, quota } };
}

async function station(programmeId: string) {
  const s = await db.prisma.station.create({
    data: { programmeId, hostId: 'h', hostName: 'Host', type: 'academician_workstation', name: 'S', field: 'f' },
  });
  const e = await db.prisma.expert.create({ data: { name: 'Academician', title: 'academician', field: 'f' } });
  return { stationId: s.id, expertId: e.id };
}

describe('establishing stations', () => {
  it('never exceeds the quota when twenty establishments race from four connections', async () => {
    const { programmeId, type } = await programme(5);
    const stations = await Promise.all(Array.from({ length: 20 }, () => station(programmeId)));
    const clients = [db.prisma, ...Array.from({ length: 3 }, () => createPrismaClient(db.url))];
    try {
      const results = await Promise.allSettled(
        stations.map((s, i) =>
          createActivities({ prisma: clients[i % 4]! }).establishStation({
            programmeId,
            stationId: s.stationId,
            type,
            experts: [s.expertId],
            maxStationsPerExpert: 2,
            key: `${s.stationId}:subsidy:commit`,
            at: new Date().toISOString(),
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      for (const r of results.filter((x) => x.status === 'rejected')) {
        expect(((r as PromiseRejectedResult).reason as ApplicationFailure).type).toBe('QuotaReached');
      }
      expect((await db.prisma.stationQuota.findFirstOrThrow({ where: { programmeId } })).used).toBe(5);
      // Refused establishments left nothing behind: no seats, no money.
      expect(await db.prisma.stationExpert.count({ where: { station: { programmeId } } })).toBe(5);
      expect(await db.prisma.ledgerEntry.count({ where: { programmeId } })).toBe(5);
      expect(await reconcile(db.prisma, programmeId)).toEqual([]);
    } finally {
      await Promise.all(clients.slice(1).map((c) => c.$disconnect()));
    }
  });

  it('holds an expert to the limit of stations across concurrent establishments', async () => {
    const { programmeId, type } = await programme(100);
    const expert = await db.prisma.expert.create({ data: { name: 'Academician Zhou', title: 'academician', field: 'f' } });
    const stations = await Promise.all(Array.from({ length: 6 }, () => station(programmeId)));
    const { establishStation } = createActivities({ prisma: db.prisma });
    const results = await Promise.allSettled(
      stations.map((s) =>
        establishStation({ programmeId, stationId: s.stationId, type, experts: [expert.id], maxStationsPerExpert: 2, key: `${s.stationId}:k`, at: new Date().toISOString() }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect((await db.prisma.expert.findUniqueOrThrow({ where: { id: expert.id } })).residentSeats).toBe(2);
    expect((await db.prisma.stationQuota.findFirstOrThrow({ where: { programmeId } })).used).toBe(2);
  });

  it('is idempotent per key: a retried establishment takes one place and pays one subsidy', async () => {
    const { programmeId, type } = await programme(10);
    const s = await station(programmeId);
    const { establishStation } = createActivities({ prisma: db.prisma });
    const input = { programmeId, stationId: s.stationId, type, experts: [s.expertId], maxStationsPerExpert: 2, key: `${s.stationId}:k`, at: new Date().toISOString() };
    await establishStation(input);
    await establishStation(input);
    expect((await db.prisma.stationQuota.findFirstOrThrow({ where: { programmeId } })).used).toBe(1);
    expect((await db.prisma.expert.findUniqueOrThrow({ where: { id: s.expertId } })).residentSeats).toBe(1);
  });
});
