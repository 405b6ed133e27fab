// Stations race for a quota and for experts' seats over real HTTP, a real worker, the shared dev
// server and the database. More stations than the quota allows reach the site visit; the officer's
// approvals are all sent at once, so their one-working-day notices end together and their
// establishments race. The quota is never exceeded, nor any expert's seats; the refused stations
// end rejected with the reason; each established one has its subsidy committed and paid once.
// Then an expert change at each running station is decided twice at once (two approvals, or an
// approval and a refusal): one decision is taken, and the seats agree with it.
import { reconcile } from '../../money/ledger';
import { mapLimit } from '../helpers/concurrency';
import { eventually } from '../helpers/eventually';
import { DAY } from '../helpers/fixtures';
import { expectStatus } from '../helpers/http-fund';
import { type TestSystem, startSystem } from '../helpers/system';
import type { StationProgrammeConfigInput } from '../../shared/programme-config';

const QUOTA = 5;
/** Doctoral stations all naming the same doctor, who may be resident at SEATS stations. */
const SHARING = 4;
const SEATS = 2;
const SUBSIDY = 1_000_000;

/**
 * The races with `STATIONS` academician workstations (each with an expert of its own) for QUOTA
 * places, as tests of the file that calls it.
 */
export function stationQuotaRace(STATIONS: number): void {
  jest.setTimeout(300_000);

  let sys: TestSystem;
  /** What the first test leaves for the second: the officer and the stations, with their hosts. */
  let officer: { id: string; key: string };
  let runningStations: Array<{ id: string; host: { id: string; key: string }; experts: string[] }> = [];
  let addExpert: (title: string, i: number) => Promise<string>;
  beforeAll(async () => {
    sys = await startSystem();
  });
  afterAll(async () => {
    await sys?.stop();
  });

  const config: StationProgrammeConfigInput = {
    timeScale: 864_000,
    stationTypes: [
      {
        code: 'academician_workstation',
        label: 'academician workstation',
        residentExperts: { min: 1, max: 3, titles: ['academician'] },
        termYears: 3,
        subsidyFen: SUBSIDY,
        quota: QUOTA,
      },
      {
        code: 'doctoral_station',
        label: 'doctoral innovation station',
        residentExperts: { min: 1, max: 5, titles: ['doctor'] },
        termYears: 3,
        subsidyFen: SUBSIDY,
        quota: 100,
      },
    ],
    review: {
      rubric: [{ code: 'merit', label: 'Merit', weight: 100, max: 10 }],
      panelSize: 1,
      quorum: 1,
      passScore: 70,
      deadlineDays: 3650,
      replaceSilentAfterDays: 3650,
    },
    publicNotice: { workingDays: 1 },
    experts: { maxStationsPerExpert: SEATS },
  };

  it(`establishes ${QUOTA} of ${STATIONS} stations approved at once, and seats a shared expert at ${SEATS} of ${SHARING}`, async () => {
    const t0 = Date.now();
    officer = await sys.user('officer');
    const reviewer = expectStatus(
      await sys.call('POST', '/users', {
        key: sys.adminKey,
        body: { email: `station-panel-${Date.now()}@experts.cn`, displayName: 'Prof. Panel', role: 'reviewer', expertise: ['advanced-manufacturing'] },
      }),
      201,
      'reviewer',
    ).body as { user: { id: string }; apiKey: string };
    const programme = expectStatus(
      await sys.call('POST', '/programmes', {
        key: officer.key,
        body: {
          code: `WZ-RACE-${Date.now()}`,
          title: 'Workstations under a quota',
          kind: 'workstation',
          budgetFen: 100 * SUBSIDY,
          opensAt: new Date(Date.now() - DAY).toISOString(),
          closesAt: new Date(Date.now() + 900 * DAY).toISOString(),
          config,
        },
      }),
      201,
      'programme',
    );
    const programmeId = programme.body.id as string;
    const expert = (addExpert = async (title: string, i: number) =>
      expectStatus(await sys.call('POST', '/experts', { key: officer.key, body: { name: `${title} ${i}`, title, field: 'advanced-manufacturing' } }), 201, 'expert').body.id as string);
    const doctor = await expert('doctor', 0);

    const plan = [
      ...Array.from({ length: STATIONS }, (_x, i) => ({ type: 'academician_workstation', title: 'academician', i, shared: false })),
      ...Array.from({ length: SHARING }, (_x, i) => ({ type: 'doctoral_station', title: 'doctor', i, shared: true })),
    ];
    const stations = await mapLimit(plan, 6, async (p) => {
      const host = await sys.user('applicant');
      const experts = [p.shared ? doctor : await expert(p.title, p.i)];
      const draft = expectStatus(
        await sys.call('POST', '/stations', {
          key: host.key,
          body: { programmeId, type: p.type, name: `Station ${p.type} ${p.i}`, field: 'advanced-manufacturing', hostName: `Host ${p.i} Co., Ltd.`, experts },
        }),
        201,
        'station',
      );
      const id = draft.body.id as string;
      expectStatus(await sys.call('POST', `/stations/${id}/submit`, { key: host.key }), 200, 'submit');
      return { id, type: p.type, experts, host };
    });
    const ids = stations.map((s) => s.id);
    const allAt = (stage: string) =>
      eventually(`${ids.length} stations at ${stage}`, async () => (await sys.db.prisma.station.count({ where: { id: { in: ids }, stage } })) === ids.length, 120_000);

    await allAt('formal_check');
    await mapLimit(stations, 6, async (s) => {
      expectStatus(await sys.call('POST', `/stations/${s.id}/formal-check`, { key: officer.key, body: { decision: 'accept' } }), 200, 'formal check');
    });
    await eventually('the panels', async () => (await sys.db.prisma.reviewAssignment.count({ where: { caseId: { in: ids } } })) === ids.length, 120_000);
    await mapLimit(stations, 6, async (s) => {
      expectStatus(await sys.call('POST', `/stations/${s.id}/review/declaration`, { key: reviewer.apiKey, body: { conflict: false } }), 200, 'declaration');
      expectStatus(
        await sys.call('POST', `/stations/${s.id}/review/score`, { key: reviewer.apiKey, body: { scores: { merit: 8 }, comment: 'Solid', recommendation: 'fund' } }),
        200,
        'score',
      );
    });
    await allAt('site_visit');
    const setupMs = Date.now() - t0;

    // The race: every approval at once; the notices end together and the establishments collide.
    const t1 = Date.now();
    const approvals = await Promise.all(stations.map((s) => sys.call('POST', `/stations/${s.id}/site-visit`, { key: officer.key, body: { outcome: 'pass', notes: 'In place' } })));
    expect(approvals.map((a) => a.status)).toEqual(stations.map(() => 200));
    const settled = await eventually(
      'every station established or refused',
      async () => {
        const rows = await sys.db.prisma.station.findMany({ where: { id: { in: ids } }, select: { id: true, stage: true } });
        return rows.every((r) => r.stage === 'established' || r.stage === 'rejected') ? rows : undefined;
      },
      120_000,
    );
    const raceMs = Date.now() - t1;
    const stageOf = new Map(settled.map((r) => [r.id, r.stage]));
    const established = (type: string) => stations.filter((s) => s.type === type && stageOf.get(s.id) === 'established');
    const refused = stations.filter((s) => stageOf.get(s.id) === 'rejected');
    console.log(
      `station race: ${stations.length} approvals sent at once; ${established('academician_workstation').length}/${STATIONS} workstations established (quota ${QUOTA}), ` +
        `${established('doctoral_station').length}/${SHARING} doctoral stations sharing one doctor (seats ${SEATS}); ${refused.length} refused; ` +
        `approvals to settled ${raceMs} ms; set-up ${setupMs} ms`,
    );

    // The quota and the seats hold exactly, and the counters agree with the stations and seats on record.
    expect(established('academician_workstation')).toHaveLength(QUOTA);
    expect(established('doctoral_station')).toHaveLength(SEATS);
    const quotas = await sys.db.prisma.stationQuota.findMany({ where: { programmeId }, orderBy: { stationType: 'asc' } });
    expect(quotas.map((q) => [q.stationType, q.used])).toEqual([
      ['academician_workstation', QUOTA],
      ['doctoral_station', SEATS],
    ]);
    const experts = await sys.db.prisma.expert.findMany({ where: { id: { in: stations.flatMap((s) => s.experts) } }, include: { seats: true } });
    for (const e of experts) {
      const resident = e.seats.filter((x) => x.status === 'resident').length;
      expect({ expert: e.name, seats: e.residentSeats }).toEqual({ expert: e.name, seats: resident });
      expect(e.residentSeats).toBeLessThanOrEqual(SEATS);
    }
    expect(experts.find((e) => e.id === doctor)!.residentSeats).toBe(SEATS);

    // The refused stations end cleanly, saying why; no money moved for them.
    const reasons = await sys.db.prisma.stageHistory.findMany({ where: { caseId: { in: refused.map((s) => s.id) }, stage: 'rejected' } });
    expect(reasons).toHaveLength(refused.length);
    for (const r of reasons) {
      const type = stations.find((s) => s.id === r.caseId)!.type;
      expect(r.reason).toMatch(type === 'doctoral_station' ? /already resident at 2 stations/ : /quota of 5 academician workstations is reached/);
    }
    expect(await sys.db.prisma.ledgerEntry.count({ where: { caseId: { in: refused.map((s) => s.id) } } })).toBe(0);

    // Each established station: its subsidy committed once and paid once; the ledger reconciles.
    runningStations = stations.filter((s) => stageOf.get(s.id) === 'established' && s.type === 'academician_workstation');
    const winners = stations.filter((s) => stageOf.get(s.id) === 'established').map((s) => s.id);
    const entries = await sys.db.prisma.ledgerEntry.groupBy({ by: ['kind'], where: { caseId: { in: winners } }, _count: true, _sum: { amountFen: true } });
    expect(entries.map((e) => [e.kind, e._count, e._sum.amountFen]).sort()).toEqual([
      ['commit', QUOTA + SEATS, BigInt((QUOTA + SEATS) * SUBSIDY)],
      ['payment', QUOTA + SEATS, BigInt((QUOTA + SEATS) * SUBSIDY)],
    ]);
    expect(await reconcile(sys.db.prisma, programmeId)).toEqual([]);
  });

  // A handler that awaits before it records its decision lets a second decision through its
  // validator: an approval putting the seats in place (an activity) and a refusal sent with it
  // could both be accepted, leaving the seats changed for a change the station records as refused.
  it('takes one decision on an expert change when the officer approves and refuses it at once', async () => {
    expect(runningStations.length).toBeGreaterThanOrEqual(3);
    const outcomes = await Promise.all(
      runningStations.map(async (s, i) => {
        const replacement = await addExpert('academician', 100 + i);
        const [current] = s.experts as [string];
        const asked = expectStatus(
          await sys.call('POST', `/stations/${s.id}/experts/change`, { key: s.host.key, body: { add: replacement, remove: current, reason: 'Retiring' } }),
          200,
          'change request',
        );
        const changeId = asked.body.expertChanges.at(-1).id as string;
        const path = `/stations/${s.id}/experts/changes/${encodeURIComponent(changeId)}/decide`;
        // Half the stations get two approvals at once, half an approval and a refusal at once.
        const bodies = i % 2 === 0 ? [{ approve: true, reason: 'Fine' }, { approve: true, reason: 'Fine' }] : [{ approve: true, reason: 'Fine' }, { approve: false, reason: 'No' }];
        const answers = await Promise.all(bodies.map((body) => sys.call('POST', path, { key: officer.key, body })));
        const summary = JSON.stringify(answers.map((a) => [a.status, a.body?.code]));
        expect({ station: i, ok: answers.filter((a) => a.status === 200).length, summary }).toEqual({ station: i, ok: 1, summary });
        const other = answers.find((a) => a.status !== 200)!;
        expect(other).toMatchObject({ status: 409, body: { code: 'AlreadyDone' } });

        // The station's record, its audit trail and the seats agree on the one decision taken.
        const view = (await sys.call('GET', `/stations/${s.id}`, { key: officer.key })).body.workflow;
        const decided = view.expertChanges.find((c: { id: string }) => c.id === changeId);
        const approved = decided.status === 'approved';
        const audits = await sys.db.prisma.auditEntry.findMany({ where: { targetId: s.id, action: { startsWith: 'station.expert_change_' } } });
        expect(audits.map((a) => a.action).sort()).toEqual(['station.expert_change_requested', `station.expert_change_${decided.status}`].sort());
        const seats = await sys.db.prisma.stationExpert.findMany({ where: { stationId: s.id, status: 'resident' } });
        const resident = approved ? replacement : current;
        expect({ station: i, decision: decided.status, seats: seats.map((x) => x.expertId) }).toEqual({ station: i, decision: decided.status, seats: [resident] });
        const [r, c] = await Promise.all([replacement, current].map((id) => sys.db.prisma.expert.findUniqueOrThrow({ where: { id } })));
        expect({ station: i, replacement: r!.residentSeats, current: c!.residentSeats }).toEqual({ station: i, replacement: approved ? 1 : 0, current: approved ? 0 : 1 });
        return `${bodies.map((b) => (b.approve ? 'approve' : 'refuse')).join('+')}: ${summary} -> ${decided.status}`;
      }),
    );
    console.log(`expert change decided twice at once: ${outcomes.join('; ')}`);
  });
}
