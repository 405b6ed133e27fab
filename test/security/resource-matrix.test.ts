// Who may see what, over HTTP, in a real world (test/helpers/world.ts): every route × every role ×
// {own resource, someone else's}, with the answer computed from the routes' role declarations and
// the small ownership policy below; then the lists, the review panel, and the sentences of the
// issue as named assertions. Someone else's resource is "not found" (404), never "forbidden": a
// caller learns nothing about what exists outside their reach.
import { routes } from '../../api/routes';
import type { AnyRoute } from '../../api/http/route';
import { ROLES, type Role } from '../../shared';
import { type TestSystem, startSystem } from '../helpers/system';
import { type Person, type World, buildWorld } from '../helpers/world';

jest.setTimeout(300_000);

let sys: TestSystem;
let w: World;
beforeAll(async () => {
  sys = await startSystem();
  w = await buildWorld(sys);
}, 240_000);
afterAll(async () => {
  await sys?.stop();
});

// ---- The ownership policy, as data ----------------------------------------------------------

type Resource = 'application' | 'station' | 'apiKey' | 'programme' | 'expert' | 'user' | 'none';

/** The resource a route's path is about, by its first segment. */
function resourceOf(route: AnyRoute): Resource {
  if (route.path.startsWith('/applications/:id')) return 'application';
  if (route.path.startsWith('/stations/:id')) return 'station';
  if (route.path.startsWith('/api-keys/:keyId')) return 'apiKey';
  if (route.path.startsWith('/programmes/:id')) return 'programme';
  if (route.path.startsWith('/experts/:id')) return 'expert';
  if (route.path.startsWith('/users/:id')) return 'user';
  return 'none';
}

/**
 * Which roles see only their own of a resource. Applicants own their applications and the stations
 * they host; a reviewer's "own" cases are those they sit on without a conflict; everyone owns their
 * API keys, and administrators may revoke anyone's. Officers, finance and administrators see every
 * case; programmes, experts and users are not owned by the roles that may read them.
 */
const OWNER_SCOPED: Record<Resource, readonly Role[]> = {
  application: ['applicant', 'reviewer'],
  station: ['applicant', 'reviewer'],
  apiKey: ['applicant', 'reviewer', 'officer', 'finance'],
  programme: [],
  expert: [],
  user: [],
  none: [],
};

/** Valid bodies for the owner-scoped writes, so that the request reaches the ownership check. */
const VALID_BODY: Record<string, unknown> = {
  'patch /applications/:id': { title: 'Edited by the matrix' },
  withdraw: { reason: 'Matrix probe' },
  sign: {},
  renewal: {},
  'milestone/report': { summary: 'Matrix probe' },
  'evaluation/report': { summary: 'Matrix probe' },
  'experts/change': { reason: 'Matrix probe' },
  'review/declaration': { conflict: false },
  'review/score': { scores: { innovation: 5, team: 5, market: 5, fit: 5, host: 5, experts: 5, plan: 5 }, comment: 'Matrix probe', recommendation: 'revise' },
};

function validBody(route: AnyRoute): unknown {
  if (route.method === 'get' || route.method === 'delete') return undefined;
  const exact = VALID_BODY[`${route.method} ${route.path}`];
  if (exact !== undefined) return exact;
  const action = route.path.replace(/^\/(applications|stations)\/:id\//, '');
  return VALID_BODY[action] ?? {};
}

type Side = 'own' | "other's";
type Expected = 'ok' | 'forbidden' | 'hidden';

function expected(route: AnyRoute, role: Role, side: Side): Expected {
  if (route.auth === 'public' || !route.auth.includes(role)) return 'forbidden';
  return side === "other's" && OWNER_SCOPED[resourceOf(route)].includes(role) ? 'hidden' : 'ok';
}

// ---- Who acts, on what ----------------------------------------------------------------------

/** The actors of a role: both applicants; the seated reviewer; one person otherwise. */
function actorsOf(role: Role): Person[] {
  switch (role) {
    case 'applicant':
      return [...w.applicants];
    case 'reviewer':
      return [w.reviewers.seated];
    default:
      return [w[role]];
  }
}

const isCaseAction = (route: AnyRoute) => /^\/(applications|stations)\/:id\/.+/.test(route.path) && route.method === 'post' && !/\/(submit|resubmit)$/.test(route.path);

/**
 * The id a cell's request names, or null when the cell has no such resource (a reviewer on no
 * station's panel has no "own" station; only the first applicant hosts stations). Own targets are
 * chosen so that the owner's request is harmless: case actions go to the owner's draft (refused
 * with 409: not submitted), submissions to a case already submitted.
 */
function target(route: AnyRoute, role: Role, actor: Person, side: Side): string | null {
  const [a1, a2] = w.applicants;
  const resource = resourceOf(route);
  const scoped = OWNER_SCOPED[resource].includes(role);
  switch (resource) {
    case 'application': {
      if (role === 'reviewer') return side === 'own' ? w.apps.review2 : w.apps.funded1;
      if (!scoped) return side === 'own' ? w.apps.funded1 : w.apps.review2;
      const owner = side === 'own' ? actor : actor === a1 ? a2 : a1;
      const [draft, submitted] = owner === a1 ? [w.apps.draft1, w.apps.funded1] : [w.apps.draft2, w.apps.review2];
      if (route.method === 'patch' || isCaseAction(route)) return draft;
      return submitted;
    }
    case 'station': {
      if (role === 'reviewer') return side === 'own' ? null : w.stations.submitted;
      if (!scoped) return w.stations.submitted;
      const owns = actor === a1;
      if ((side === 'own') !== owns) return null; // the second applicant hosts none; the first is no stranger to their own
      return isCaseAction(route) ? w.stations.draft : w.stations.submitted;
    }
    case 'apiKey': {
      if (side === 'own') return actor.spareKeyId;
      return (actor === w.officer ? w.finance : w.officer).spareKeyId;
    }
    case 'programme':
      return side === 'own' ? w.programmeId : w.stationProgrammeId;
    case 'expert':
      return w.expertId;
    case 'user':
      return side === 'own' ? actor.id : w.officer.id;
    case 'none':
      return side === 'own' ? '' : null;
  }
}

function concrete(route: AnyRoute, id: string): string {
  return route.path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) =>
    name === 'id' || name === 'keyId' ? id : name === 'code' ? 'T1' : name === 'objectionId' ? encodeURIComponent(w.objection.id) : 'x-none',
  );
}

function matches(want: Expected, res: { status: number; body: { code?: string } }, route: AnyRoute): boolean {
  if (want === 'forbidden') return res.status === 403 && res.body?.code === 'Forbidden';
  if (want === 'hidden') return res.status === 404 && res.body?.code === 'NotFound';
  if (route.method === 'get') return res.status === 200;
  return res.status < 500 && ![401, 403, 404].includes(res.status);
}

// ---- The named sentences of the issue -------------------------------------------------------

describe('reviewers', () => {
  const caseReads = (id: string) => [`/applications/${id}`, `/applications/${id}/reviews`];

  it('never see a case they declared a conflict on, nor act on it', async () => {
    const r = w.reviewers.conflicted;
    for (const path of caseReads(w.apps.review2)) expect({ path, ...(await sys.call('GET', path, { key: r.key })) }).toMatchObject({ path, status: 404, body: { code: 'NotFound' } });
    const score = await sys.call('POST', `/applications/${w.apps.review2}/review/score`, { key: r.key, body: VALID_BODY['review/score'] });
    expect(score).toMatchObject({ status: 404, body: { code: 'NotFound' } });
    const redeclare = await sys.call('POST', `/applications/${w.apps.review2}/review/declaration`, { key: r.key, body: { conflict: false } });
    expect(redeclare).toMatchObject({ status: 404, body: { code: 'NotFound' } });
    // Their inbox no longer asks anything of them for it.
    expect((await sys.call('GET', '/inbox', { key: r.key })).body.items).toEqual([]);
  });

  it('see nothing of a case whose panel they are not on', async () => {
    for (const r of [w.reviewers.offPanel, w.reviewers.seated]) {
      const id = r === w.reviewers.seated ? w.apps.funded1 : w.apps.review2;
      for (const path of caseReads(id)) expect({ path, ...(await sys.call('GET', path, { key: r.key })) }).toMatchObject({ path, status: 404, body: { code: 'NotFound' } });
      expect((await sys.call('POST', `/applications/${id}/review/score`, { key: r.key, body: VALID_BODY['review/score'] })).status).toBe(404);
    }
    expect((await sys.call('GET', '/reviews', { key: w.reviewers.offPanel.key })).body.items).toEqual([]);
    expect((await sys.call('GET', `/stations/${w.stations.submitted}`, { key: w.reviewers.offPanel.key })).status).toBe(404);
  });

  it("see no other reviewer's scores before submitting their own, and all of them after", async () => {
    const { seated, silent } = w.reviewers;
    const score = { scores: { innovation: 7, team: 7, market: 7, fit: 7 }, comment: 'Sound', recommendation: 'fund' };
    expect((await sys.call('POST', `/applications/${w.apps.review2}/review/score`, { key: silent.key, body: score })).status).toBe(200);

    const before = await sys.call('GET', `/applications/${w.apps.review2}/reviews`, { key: seated.key });
    expect(before.status).toBe(200);
    expect(before.body.items.map((i: { reviewerId: string }) => i.reviewerId)).toEqual([seated.id]);
    expect(JSON.stringify(before.body)).not.toContain('Sound');
    // An officer sees the whole panel at any time, scores included.
    const officerView = await sys.call('GET', `/applications/${w.apps.review2}/reviews`, { key: w.officer.key });
    expect(officerView.body.items.find((i: { reviewerId: string }) => i.reviewerId === silent.id)).toMatchObject({ comment: 'Sound', total: expect.any(Number) });

    expect((await sys.call('POST', `/applications/${w.apps.review2}/review/score`, { key: seated.key, body: { ...score, comment: 'Agree' } })).status).toBe(200);
    const after = await sys.call('GET', `/applications/${w.apps.review2}/reviews`, { key: seated.key });
    expect(after.body.items.map((i: { reviewerId: string }) => i.reviewerId).sort()).toEqual([seated.id, silent.id, w.reviewers.conflicted.id].sort());
    expect(after.body.items.find((i: { reviewerId: string }) => i.reviewerId === silent.id)).toMatchObject({ comment: 'Sound' });
    // Having scored, the reviewer still sees the case they sat on.
    expect((await sys.call('GET', `/applications/${w.apps.review2}`, { key: seated.key })).status).toBe(200);
  });
});

it("applicants never see, nor act on, another applicant's case or station", async () => {
  const [a1, a2] = w.applicants;
  for (const [who, id] of [[a1, w.apps.review2], [a1, w.apps.draft2], [a2, w.apps.funded1], [a2, w.apps.draft1]] as const) {
    expect((await sys.call('GET', `/applications/${id}`, { key: who.key })).status).toBe(404);
    expect((await sys.call('PATCH', `/applications/${id}`, { key: who.key, body: { title: 'Mine now' } })).status).toBe(404);
    expect((await sys.call('POST', `/applications/${id}/withdraw`, { key: who.key, body: { reason: 'Not mine' } })).status).toBe(404);
  }
  expect((await sys.call('GET', `/stations/${w.stations.submitted}`, { key: a2.key })).status).toBe(404);
  expect((await sys.call('POST', `/stations/${w.stations.submitted}/withdraw`, { key: a2.key, body: { reason: 'Not mine' } })).status).toBe(404);
  const stages = await sys.db.prisma.application.findMany({ where: { id: { in: Object.values(w.apps) } }, select: { title: true, stage: true } });
  expect(stages.map((s) => s.title).sort()).toEqual(['A1 draft', 'A1 funded', 'A2 draft', 'A2 in review']);
  expect((await sys.db.prisma.station.findUniqueOrThrow({ where: { id: w.stations.submitted } })).stage).toBe('formal_check');
});

it("an expert's commitments show an applicant their own stations and published ones, not another host's applications", async () => {
  const [a1, a2] = w.applicants;
  const stationsSeenBy = async (who: Person) => {
    const res = await sys.call('GET', `/experts/${w.expertId}`, { key: who.key });
    expect(res.status).toBe(200);
    return res.body.stations.map((s: { id: string }) => s.id).sort();
  };
  expect(await stationsSeenBy(w.officer)).toEqual([w.stations.draft, w.stations.submitted].sort());
  expect(await stationsSeenBy(a1)).toEqual([w.stations.draft, w.stations.submitted].sort());
  expect(await stationsSeenBy(a2)).toEqual([]);
});

it('finance cannot decide: formal review, award, final decision, countersignature and cancellation are refused', async () => {
  const before = await sys.call('GET', `/applications/${w.apps.funded1}`, { key: w.officer.key });
  const decisions: Array<[string, unknown]> = [
    ['formal-review', { decision: 'accept' }],
    ['award', { decision: 'award', tier: 'A', amountFen: 800_000_000 }],
    ['final-decision', { outcome: 'pass', reason: 'Targets met' }],
    ['countersign', {}],
    ['cancel', { reason: 'Finance would like to' }],
    ['force-terminate', { reason: 'Finance would like to' }],
  ];
  for (const [action, body] of decisions) {
    for (const id of [w.apps.funded1, w.apps.review2]) {
      const res = await sys.call('POST', `/applications/${id}/${action}`, { key: w.finance.key, body });
      expect({ action, status: res.status, code: res.body.code }).toEqual({ action, status: 403, code: 'Forbidden' });
    }
  }
  const after = await sys.call('GET', `/applications/${w.apps.funded1}`, { key: w.officer.key });
  expect(after.body.stage).toBe(before.body.stage);
});

it('officers cannot pay: approving a tranche is refused, and nothing is paid', async () => {
  const paidBefore = await sys.db.prisma.ledgerEntry.count({ where: { kind: 'payment' } });
  for (const code of ['T1', 'T2']) {
    const res = await sys.call('POST', `/applications/${w.apps.funded1}/tranches/${code}/approve`, { key: w.officer.key, body: {} });
    expect({ code, status: res.status, problem: res.body.code }).toEqual({ code, status: 403, problem: 'Forbidden' });
  }
  expect(await sys.db.prisma.ledgerEntry.count({ where: { kind: 'payment' } })).toBe(paidBefore);
});

// ---- Lists ----------------------------------------------------------------------------------

describe('lists show each caller only what they may see', () => {
  const ids = (res: { body: { items: Array<{ id?: string; caseId?: string }> } }) => res.body.items.map((i) => i.id ?? i.caseId);

  it('applications: an applicant lists their own, whatever filter they send; staff list all', async () => {
    const [a1, a2] = w.applicants;
    const own = { [a1.id]: [w.apps.draft1, w.apps.funded1], [a2.id]: [w.apps.draft2, w.apps.review2] };
    for (const [me, other] of [[a1, a2], [a2, a1]] as const) {
      for (const query of ['', `?applicantId=${other.id}`, `?reviewerId=${w.reviewers.seated.id}`, `?programmeId=${w.programmeId}`, '?q=A']) {
        const res = await sys.call('GET', `/applications${query}`, { key: me.key });
        expect({ query, ids: ids(res).sort() }).toEqual({ query, ids: query.startsWith('?reviewerId') ? own[me.id]!.filter((id) => id === w.apps.review2).sort() : own[me.id]!.sort() });
      }
    }
    for (const staff of [w.officer, w.finance, w.admin]) {
      expect(ids(await sys.call('GET', `/applications?programmeId=${w.programmeId}`, { key: staff.key })).sort()).toEqual(Object.values(w.apps).sort());
    }
  });

  it("stations: a host lists the stations they host; another applicant none", async () => {
    const [a1, a2] = w.applicants;
    expect(ids(await sys.call('GET', '/stations', { key: a1.key })).sort()).toEqual([w.stations.draft, w.stations.submitted].sort());
    expect(ids(await sys.call('GET', '/stations', { key: a2.key }))).toEqual([]);
    expect(ids(await sys.call('GET', `/stations?host=Wenzhou`, { key: a2.key }))).toEqual([]);
  });

  it("review assignments: a reviewer lists only their own; the officer's register lists every panel", async () => {
    const { seated, conflicted, offPanel, fundedPanel } = w.reviewers;
    expect(ids(await sys.call('GET', '/reviews', { key: seated.key }))).toEqual([w.apps.review2]);
    expect(ids(await sys.call('GET', '/reviews', { key: conflicted.key }))).toEqual([w.apps.review2]);
    expect((await sys.call('GET', '/reviews', { key: conflicted.key })).body.items[0].status).not.toMatch(/assigned|accepted|submitted/);
    expect(ids(await sys.call('GET', '/reviews', { key: offPanel.key }))).toEqual([]);
    for (const r of fundedPanel) expect(ids(await sys.call('GET', '/reviews', { key: r.key }))).toEqual([w.apps.funded1]);
    const register = await sys.call('GET', `/review-assignments?programmeId=${w.programmeId}`, { key: w.officer.key });
    expect(new Set(register.body.items.map((a: { reviewerId: string }) => a.reviewerId)).size).toBe(6);
  });

  it('inboxes and notifications: an applicant is shown only their own cases', async () => {
    const [a1, a2] = w.applicants;
    const mine = { [a1.id]: [w.apps.draft1, w.apps.funded1, w.stations.draft, w.stations.submitted], [a2.id]: [w.apps.draft2, w.apps.review2] };
    for (const a of [a1, a2]) {
      const inbox = await sys.call('GET', '/inbox', { key: a.key });
      for (const c of ids(inbox)) expect(mine[a.id]).toContain(c);
      const notes = await sys.call('GET', '/me/notifications', { key: a.key });
      for (const n of notes.body.items as Array<{ caseId: string | null }>) if (n.caseId) expect(mine[a.id]).toContain(n.caseId);
    }
    // The funded case's applicant was told of the award; the other applicant was not.
    const a2Notes = JSON.stringify((await sys.call('GET', '/me/notifications', { key: a2.key })).body);
    expect(a2Notes).not.toContain(w.apps.funded1);
  });

  it('exports are for staff: applicants and reviewers get 403 on every one', async () => {
    const exports = routes.filter((r) => r.path.endsWith('/export'));
    expect(exports.length).toBeGreaterThanOrEqual(8);
    for (const route of exports) {
      for (const who of [w.applicants[0], w.reviewers.seated]) {
        const res = await sys.call('GET', route.path.replace(':id', w.programmeId), { key: who.key });
        expect({ path: route.path, status: res.status }).toEqual({ path: route.path, status: 403 });
      }
    }
  });
});

// ---- The matrix -----------------------------------------------------------------------------

it('answers every route × role × {own, other’s} resource as the ownership policy says', async () => {
  const cells: string[] = [];
  const counts = { cells: 0, own: 0, others: 0, none: 0, skipped: 0, ok: 0, forbidden: 0, hidden: 0 };
  // Writes of a role that sees every case are sent with an empty body: they must get past
  // authorisation (and are refused as invalid), without cancelling or deciding anything.
  for (const route of routes) {
    if (route.auth === 'public') continue;
    for (const role of ROLES) {
      for (const actor of actorsOf(role)) {
        for (const side of ['own', "other's"] as const) {
          const id = target(route, role, actor, side);
          if (id === null) {
            if (resourceOf(route) !== 'none') counts.skipped++;
            continue;
          }
          const want = expected(route, role, side);
          const scoped = OWNER_SCOPED[resourceOf(route)].includes(role) && route.auth.includes(role);
          const body = scoped ? validBody(route) : route.method === 'get' || route.method === 'delete' ? undefined : {};
          const res = await sys.call(route.method.toUpperCase(), concrete(route, id), { key: actor.key, body });
          const ok = matches(want, res, route);
          const label = resourceOf(route) === 'none' ? 'no resource' : side;
          cells.push(`${ok ? 'ok  ' : 'FAIL'} ${route.method.toUpperCase().padEnd(6)} ${route.path.padEnd(58)} ${role.padEnd(9)} ${label.padEnd(11)} want ${want.padEnd(9)} got ${res.status}${ok ? '' : ` ${JSON.stringify(res.body).slice(0, 160)}`}`);
          counts.cells++;
          counts[want]++;
          if (resourceOf(route) === 'none') counts.none++;
          else if (side === 'own') counts.own++;
          else counts.others++;
        }
      }
    }
  }
  console.log(`${cells.join('\n')}\n${JSON.stringify(counts)}`);
  expect(cells.filter((c) => c.startsWith('FAIL'))).toEqual([]);
  expect(counts.hidden).toBeGreaterThanOrEqual(32);
});

it("a reviewer's own declaration does not hand them the scores already in; their score does, as the blind rule allows", async () => {
  // Runs last: it takes the world's submitted station to its expert panel.
  const panel: Person[] = [];
  for (let i = 0; i < 3; i++) {
    const made = await sys.call('POST', '/users', { key: sys.adminKey, body: { email: `station-panel-${i}-${Date.now()}@world.cn`, displayName: `Panel ${i}`, role: 'reviewer', expertise: ['advanced-manufacturing'] } });
    panel.push({ id: made.body.user.id, key: made.body.apiKey, spareKeyId: '' });
  }
  const id = w.stations.submitted;
  expect((await sys.call('POST', `/stations/${id}/formal-check`, { key: w.officer.key, body: { decision: 'accept' } })).status).toBe(200);
  for (const r of panel) {
    for (let i = 0; !(await sys.call('GET', '/reviews', { key: r.key })).body.items.some((a: { caseId: string }) => a.caseId === id); i++) {
      if (i > 600) throw new Error('the station panel was never seated');
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  const [first, second] = panel as [Person, Person];
  const score = (comment: string) => ({ scores: { host: 8, experts: 9, plan: 8 }, comment, recommendation: 'fund' });
  expect((await sys.call('POST', `/stations/${id}/review/declaration`, { key: first.key, body: { conflict: false } })).status).toBe(200);
  expect((await sys.call('POST', `/stations/${id}/review/score`, { key: first.key, body: score('First opinion, secret') })).status).toBe(200);

  const declared = await sys.call('POST', `/stations/${id}/review/declaration`, { key: second.key, body: { conflict: false } });
  expect(declared.status).toBe(200);
  expect(declared.body.assignments.map((a: { reviewerId: string }) => a.reviewerId)).toEqual([second.id]);
  expect(JSON.stringify(declared.body)).not.toContain('First opinion, secret');

  const scored = await sys.call('POST', `/stations/${id}/review/score`, { key: second.key, body: score('Second opinion') });
  expect(scored.status).toBe(200);
  expect(JSON.stringify(scored.body)).toContain('First opinion, secret');
});
