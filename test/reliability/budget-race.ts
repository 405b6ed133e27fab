// Signings race for a budget over real HTTP, a real worker, the shared dev server and the database:
// a number of cases reach a signed agreement in a programme whose budget covers
// half of them, then the officer's countersignatures are all sent at once. Exactly half commit;
// the rest are refused cleanly (409 BudgetExhausted) and stay in the agreement stage, signed by
// the applicant and waiting on the officer, until budget frees up, the agreement lapses at its
// deadline or the officer cancels. The ledger holds the budget to the fen and reconciles.
import { reconcile, ledgerTotals } from '../../money/ledger';
import { eventually } from '../helpers/eventually';
import { AWARD_FEN, submittedCases, toSignedAgreements } from '../helpers/http-fund';
import { type TestSystem, startSystem } from '../helpers/system';

/** The race with `CASES` cases and a budget for half of them, as a test of the file that calls it. */
export function budgetRace(CASES: number): void {
  const COVERED = Math.floor(CASES / 2);

  jest.setTimeout(900_000);

  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startSystem();
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it(`commits exactly ${COVERED} of ${CASES} concurrent countersignatures against a budget for ${COVERED}`, async () => {
    const t0 = Date.now();
    const call = await submittedCases(sys, { count: CASES, budgetFen: COVERED * AWARD_FEN });
    const submittedMs = Date.now() - t0;
    const phases = await toSignedAgreements(sys, call);
    const setupMs = Date.now() - t0;

    // The race: every countersignature at once.
    const t1 = Date.now();
    const answers = await Promise.all(call.cases.map((c) => sys.call('POST', `/applications/${c.id}/countersign`, { key: call.officer.key, body: {} })));
    const raceMs = Date.now() - t1;

    const committed = call.cases.filter((_c, i) => answers[i]!.status === 200);
    const refused = call.cases.filter((_c, i) => answers[i]!.status !== 200);
    const statuses = answers.reduce<Record<number, number>>((m, a) => ({ ...m, [a.status]: (m[a.status] ?? 0) + 1 }), {});
    console.log(`budget race: ${CASES} countersignatures sent at once in ${raceMs} ms; answers ${JSON.stringify(statuses)}; set-up ${setupMs} ms (submitted ${submittedMs}, then ${JSON.stringify(phases)})`);

    expect(statuses).toEqual({ 200: COVERED, 409: CASES - COVERED });
    for (const a of answers) {
      if (a.status === 200) {
        expect(a.body.stage).toBe('in_progress');
      } else {
        expect(a.headers.get('content-type')).toMatch(/application\/problem\+json/);
        expect(a.body).toMatchObject({ status: 409, code: 'BudgetExhausted' });
        expect(a.body.detail ?? a.body.title).toBeTruthy();
      }
    }

    // The ledger: one commitment per committed case, the budget exactly used, running totals equal to the entries.
    const prisma = sys.db.prisma;
    const entries = await prisma.ledgerEntry.findMany({ where: { programmeId: call.programmeId, kind: 'commit' } });
    expect(entries).toHaveLength(COVERED);
    expect(new Set(entries.map((e) => e.caseId))).toEqual(new Set(committed.map((c) => c.id)));
    const totals = await ledgerTotals(prisma, call.programmeId);
    expect(totals).toMatchObject({ budgetFen: BigInt(COVERED * AWARD_FEN), committedFen: BigInt(COVERED * AWARD_FEN), remainingFen: 0n });
    expect(await reconcile(prisma, call.programmeId)).toEqual([]);

    // The read model catches up: the committed cases run, the refused ones still await countersigning.
    const stageOf = async (ids: string[]) => (await prisma.application.findMany({ where: { id: { in: ids } }, select: { stage: true } })).map((r) => r.stage);
    await eventually('the read model', async () => (await stageOf(committed.map((c) => c.id))).every((s) => s === 'in_progress'));
    expect(new Set(await stageOf(refused.map((c) => c.id)))).toEqual(new Set(['agreement']));
    const history = await prisma.stageHistory.groupBy({ by: ['stage'], where: { caseId: { in: call.cases.map((c) => c.id) }, stage: 'in_progress' }, _count: true });
    expect(history).toEqual([{ stage: 'in_progress', _count: COVERED }]);

    // A refused case is not stuck: it waits on the officer, who may try again (refused again, cleanly)
    // or cancel it, which ends it without moving any money.
    const one = refused[0]!;
    const view = await sys.call('GET', `/applications/${one.id}`, { key: call.officer.key });
    expect(view.body.workflow).toMatchObject({ stage: 'agreement', next: { waitingOn: 'officer' }, agreement: { countersignedAt: null } });
    expect(view.body.workflow.agreement.signedByApplicantAt).toBeTruthy();
    const again = await sys.call('POST', `/applications/${one.id}/countersign`, { key: call.officer.key, body: {} });
    expect(again).toMatchObject({ status: 409, body: { code: 'BudgetExhausted' } });
    const cancelled = await sys.call('POST', `/applications/${one.id}/cancel`, { key: call.officer.key, body: { reason: 'No budget left this year' } });
    expect(cancelled).toMatchObject({ status: 200, body: { stage: 'cancelled' } });
    expect(await prisma.ledgerEntry.count({ where: { caseId: one.id } })).toBe(0);
    expect(await reconcile(prisma, call.programmeId)).toEqual([]);
  });
}
