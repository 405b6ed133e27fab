// A small, real world built through the HTTP API, for tests of who may see and do what: every role,
// two applicants each with cases of their own in useful stages, reviewers seated on a case, one who
// declared a conflict on it and one off the panel, a station with its host, and a funded case with a
// paid tranche and a dismissed objection. Time is compressed by the programmes' configuration.
import { DAY, draftBody, fundConfig, programmeBody, stationConfig } from './fixtures';
import { eventually } from './eventually';
import type { ApiResponse, TestSystem } from './system';

export interface Person {
  id: string;
  key: string;
  /** A second key of the person's, which tests may revoke without locking them out. */
  spareKeyId: string;
}

export interface World {
  admin: Person;
  officer: Person;
  finance: Person;
  /** Two applicants; the first also hosts the stations. */
  applicants: [Person, Person];
  reviewers: {
    /** Seated on `review` (declared no conflict), has not scored yet. */
    seated: Person;
    /** Declared a conflict on `review`. */
    conflicted: Person;
    /** On `review`'s panel too; never scores, so the round stays open. */
    silent: Person;
    /** A reviewer of another field: on no panel of this world. */
    offPanel: Person;
    /** The panel that scored `funded`. */
    fundedPanel: Person[];
  };
  programmeId: string;
  stationProgrammeId: string;
  apps: {
    /** The first applicant's draft, and their case funded with tranche T1 paid. */
    draft1: string;
    funded1: string;
    /** The second applicant's draft, and their case in expert review. */
    draft2: string;
    review2: string;
  };
  stations: { /** Submitted, waiting on the officer's formal check. */ submitted: string; draft: string };
  expertId: string;
  objection: { id: string; idNumber: string; name: string };
  /** Every response body the world's building received, for tests that look for leaks. */
  responses: unknown[];
}

const SCALE = 864_000; // a day in 100 ms
const FUNDED_FIELD = 'electronics';
const REVIEW_FIELD = 'new-energy';

export async function buildWorld(sys: TestSystem, opts: { objectionIdNumber?: string } = {}): Promise<World> {
  const responses: unknown[] = [];
  const call = async (key: string | undefined, method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const res = await sys.call(method, path, { key, body });
    responses.push(res.body);
    return res;
  };
  const must = async (key: string | undefined, method: string, path: string, body?: unknown, status?: number) => {
    const res = await call(key, method, path, body);
    if (res.status >= 400 || (status !== undefined && res.status !== status)) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const stamp = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  let n = 0;
  const person = async (role: string, expertise?: string[]): Promise<Person> => {
    const made = await must(sys.adminKey, 'POST', '/users', { email: `${role}-${++n}-${stamp}@world.cn`, displayName: `${role} ${n}`, role, expertise }, 201);
    const spare = await must(sys.adminKey, 'POST', `/users/${made.user.id}/api-keys`, { label: 'spare' }, 201);
    return { id: made.user.id, key: made.apiKey, spareKeyId: spare.keyId };
  };

  const adminMe = await must(sys.adminKey, 'GET', '/me');
  const adminSpare = await must(sys.adminKey, 'POST', `/users/${adminMe.id}/api-keys`, { label: 'spare' }, 201);
  const admin: Person = { id: adminMe.id, key: sys.adminKey, spareKeyId: adminSpare.keyId };
  const officer = await person('officer');
  const finance = await person('finance');
  const applicants: [Person, Person] = [await person('applicant'), await person('applicant')];
  // The review panel's pool is exactly its size, so the draw is certain: seated, conflicted, silent.
  const seated = await person('reviewer', [REVIEW_FIELD]);
  const conflicted = await person('reviewer', [REVIEW_FIELD]);
  const silent = await person('reviewer', [REVIEW_FIELD]);
  const offPanel = await person('reviewer', ['biomedicine']);
  const fundedPanel = [await person('reviewer', [FUNDED_FIELD]), await person('reviewer', [FUNDED_FIELD]), await person('reviewer', [FUNDED_FIELD])];

  const config = fundConfig({
    timeScale: SCALE,
    eligibility: { fields: [FUNDED_FIELD, REVIEW_FIELD] },
    review: { ...fundConfig().review, panelSize: 3, quorum: 2, deadlineDays: 3650, replaceSilentAfterDays: 3650 },
    agreement: { signDays: 3650 },
    publicNotice: { workingDays: 20 },
    // Far off: no milestone check runs while tests look at the world.
    milestones: [
      { code: 'midterm', label: 'mid-term check', monthsAfterSigning: 110, passScore: 60 },
      { code: 'final', label: 'final acceptance', monthsAfterSigning: 120, passScore: 60, final: true },
    ],
  });
  // Long enough to submit two drafts on a busy machine; the formal review waits for the close.
  const closesAt = Date.now() + 8_000;
  const programme = await must(officer.key, 'POST', '/programmes', programmeBody({ config, opensAt: new Date(Date.now() - DAY).toISOString(), closesAt: new Date(closesAt).toISOString() }), 201);
  const programmeId = programme.id as string;
  const [a1, a2] = applicants;
  const draft1 = (await must(a1.key, 'POST', '/applications', draftBody(programmeId, { title: 'A1 draft', field: FUNDED_FIELD }), 201)).id as string;
  const funded1 = (await must(a1.key, 'POST', '/applications', draftBody(programmeId, { title: 'A1 funded', field: FUNDED_FIELD }), 201)).id as string;
  const draft2 = (await must(a2.key, 'POST', '/applications', draftBody(programmeId, { title: 'A2 draft', field: REVIEW_FIELD }), 201)).id as string;
  const review2 = (await must(a2.key, 'POST', '/applications', draftBody(programmeId, { title: 'A2 in review', field: REVIEW_FIELD }), 201)).id as string;
  await must(a1.key, 'POST', `/applications/${funded1}/submit`);
  await must(a2.key, 'POST', `/applications/${review2}/submit`);

  // A station programme, an expert, and the first applicant as host of a draft and a submitted station.
  const stationProgramme = await must(officer.key, 'POST', '/programmes', {
    code: `WZ-${stamp}`,
    title: 'Workstations',
    kind: 'workstation',
    budgetFen: 1_000_000_000,
    opensAt: new Date(Date.now() - DAY).toISOString(),
    closesAt: new Date(Date.now() + 900 * DAY).toISOString(),
    // Reviewers' deadlines far off, so that no seat is replaced while a test takes its time.
    config: { ...stationConfig(), timeScale: SCALE, review: { ...stationConfig().review!, deadlineDays: 3650, replaceSilentAfterDays: 3650 } },
  }, 201);
  const expert = await must(officer.key, 'POST', '/experts', { name: 'Academician Zhou', title: 'academician', field: 'advanced-manufacturing' }, 201);
  const stationBody = (name: string) => ({ programmeId: stationProgramme.id, type: 'academician_workstation', name, field: 'advanced-manufacturing', hostName: 'Wenzhou Valve Co., Ltd.', experts: [expert.id] });
  const stationDraft = (await must(a1.key, 'POST', '/stations', stationBody('Draft workstation'), 201)).id as string;
  const stationSubmitted = (await must(a1.key, 'POST', '/stations', stationBody('Submitted workstation'), 201)).id as string;
  await must(a1.key, 'POST', `/stations/${stationSubmitted}/submit`);

  const stageOf = async (id: string) => (await call(officer.key, 'GET', `/applications/${id}`)).body.stage;
  for (const id of [funded1, review2]) {
    await eventually('the formal review', async () => (await stageOf(id)) === 'formal_review', 60_000);
    await must(officer.key, 'POST', `/applications/${id}/formal-review`, { decision: 'accept' });
  }

  // The case in review: its whole pool is drawn; one declares a conflict, two sit, nobody scores.
  const seatedOn = async (r: Person, id: string) => (await call(r.key, 'GET', '/reviews')).body.items.some((a: { caseId: string }) => a.caseId === id);
  for (const r of [seated, conflicted, silent]) await eventually('a seat on the panel', () => seatedOn(r, review2), 60_000);
  await must(conflicted.key, 'POST', `/applications/${review2}/review/declaration`, { conflict: true, reason: 'Former colleague of the lead' });
  await must(seated.key, 'POST', `/applications/${review2}/review/declaration`, { conflict: false });
  await must(silent.key, 'POST', `/applications/${review2}/review/declaration`, { conflict: false });

  // The funded case: scored, assessed, awarded, objected to (dismissed), signed, countersigned, paid.
  for (const r of fundedPanel) {
    await eventually('a seat on the panel', () => seatedOn(r, funded1), 60_000);
    await must(r.key, 'POST', `/applications/${funded1}/review/declaration`, { conflict: false });
    await must(r.key, 'POST', `/applications/${funded1}/review/score`, { scores: { innovation: 9, team: 8, market: 8, fit: 8 }, comment: 'Strong', recommendation: 'fund' });
  }
  await eventually('the defence', async () => (await stageOf(funded1)) === 'defence', 60_000);
  for (const kind of ['defence', 'site_visit']) {
    await must(officer.key, 'POST', `/applications/${funded1}/assessments/schedule`, { kind, at: '2027-03-01T09:00:00+08:00', place: 'Foshan' });
    await must(officer.key, 'POST', `/applications/${funded1}/assessments/record`, { kind, outcome: 'pass', notes: 'ok' });
  }
  await eventually('the committee', async () => (await stageOf(funded1)) === 'committee', 60_000);
  await must(officer.key, 'POST', `/applications/${funded1}/award`, { decision: 'award', tier: 'A', amountFen: 800_000_000 });
  const objection = { idNumber: opts.objectionIdNumber ?? '11010519491231002X', name: 'Chen Wei' };
  await must(undefined, 'POST', `/notices/${funded1}/objections`, { name: objection.name, idNumber: objection.idNumber, contact: '13800000000', text: 'Same project funded elsewhere' }, 202);
  const stored = await eventually('the objection on record', () => sys.db.prisma.objection.findFirst({ where: { caseId: funded1 } }));
  await must(officer.key, 'POST', `/applications/${funded1}/objections/${encodeURIComponent(stored.id)}/resolve`, { resolution: 'dismissed', reason: 'A different project' });
  await eventually('the agreement', async () => (await stageOf(funded1)) === 'agreement', 60_000);
  await must(a1.key, 'POST', `/applications/${funded1}/sign`, {});
  await must(officer.key, 'POST', `/applications/${funded1}/countersign`, {});
  await eventually('T1 released', async () => (await call(finance.key, 'GET', `/applications/${funded1}`)).body.workflow?.tranches[0]?.status === 'released', 60_000);
  await must(finance.key, 'POST', `/applications/${funded1}/tranches/T1/approve`, {});
  await eventually('the stations formal check', async () => (await call(officer.key, 'GET', `/stations/${stationSubmitted}`)).body.stage === 'formal_check', 60_000);

  return {
    admin,
    officer,
    finance,
    applicants,
    reviewers: { seated, conflicted, silent, offPanel, fundedPanel },
    programmeId,
    stationProgrammeId: stationProgramme.id,
    apps: { draft1, funded1, draft2, review2 },
    stations: { submitted: stationSubmitted, draft: stationDraft },
    expertId: expert.id,
    objection: { id: stored.id, ...objection },
    responses,
  };
}
