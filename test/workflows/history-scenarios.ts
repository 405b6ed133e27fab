import fs from 'node:fs';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  applyForRenewalUpdate,
  cancelStationUpdate,
  countersignUpdate,
  declareConflictUpdate,
  decideRenewalUpdate,
  fileObjectionUpdate,
  resolveObjectionUpdate,
  signUpdate,
  withdrawUpdate,
} from '../../shared';
import { CaseDriver } from '../helpers/case-driver';
import { StationDriver } from '../helpers/station-driver';
import type { TestDatabase } from '../helpers/db';

export const HISTORIES_DIR = `${__dirname}/../histories`;

/** A recorded history file as the replayer takes it (recorded with the message's toJSON, so fromObject is its inverse). */
export function readRecordedHistory(file: string): { workflowId: string; history: temporal.api.history.v1.IHistory } {
  const recorded = JSON.parse(fs.readFileSync(file, 'utf8'));
  return { workflowId: recorded.workflowId, history: temporal.api.history.v1.History.fromObject(recorded.history) };
}

/** A scenario returns the workflow id of its case, and the earlier runs' ids when it continued as new. */
type Scenario = (env: TestWorkflowEnvironment, taskQueue: string, db: TestDatabase) => Promise<string | { workflowId: string; runIds: string[] }>;

/** The paths whose histories are recorded. Each returns the case's workflow id; its children are recorded too. */
export const scenarios: Record<string, Scenario> = {
  async 'fund-straight-to-close-out'(env, taskQueue, db) {
    const c = await (await new CaseDriver(env, db, taskQueue).programmeWith()).submitted();
    await c.toSignedAgreement();
    return signedToCloseOut(env, c);
  },
  // Recorded after PROJECTOR_PATCH (workflows/lib/projector.ts): view tokens in every flush, and a
  // panel declaring at once, whose overlapping handlers' projections coalesce.
  'fund-panel-at-once-to-close-out': panelAtOnceToCloseOut,
  // Recorded after PROJECTOR_LOCAL_PATCH: the same path, every batch projected by a local activity.
  'fund-projected-locally': panelAtOnceToCloseOut,
  // Recorded after review-round-counts-changes: a recusal replaced at once, then the panel scores.
  async 'fund-recusal-replaced'(env, taskQueue, db) {
    const c = await (await new CaseDriver(env, db, taskQueue).programmeWith()).submitted();
    await c.closeCallAndAccept();
    const { round, panel } = await c.seatedPanel();
    const first = panel.assignments[0]!.reviewerId;
    await round.executeUpdate(declareConflictUpdate, { args: [{ actor: { id: first, role: 'reviewer' }, conflict: true, reason: 'recorded' }] });
    await c.reviewersScore(8);
    await c.waitFor('defence');
    return c.id;
  },
  // Recorded after review-round-keeps-its-timer (ROUND_KEEPS_TIMER_PATCH): four of the panel score
  // under one kept timer; the fifth, silent, is reminded twice, escalated and replaced as the timer
  // fires and is set again; the replacement scores.
  async 'fund-round-keeps-its-timer'(env, taskQueue, db) {
    const c = await (await new CaseDriver(env, db, taskQueue).programmeWith()).submitted();
    await c.closeCallAndAccept();
    await c.reviewersScore(8, 4);
    await env.sleep('17 days');
    await c.reviewersScore(8);
    await c.waitFor('defence');
    return c.id;
  },
  // Recorded after case-runs-notices-and-checks (HOSTED_STEPS_PATCH): the same path, the notices and
  // milestone checks run in the case itself.
  'fund-runs-notices-and-checks': panelAtOnceToCloseOut,
  // Recorded after case-runs-notices-and-checks: objections filed with and resolved by the case
  // itself, one dismissed and one upheld, which sends the case back to expert review.
  async 'fund-objection-upheld-in-case'(env, taskQueue, db) {
    const c = await (await new CaseDriver(env, db, taskQueue).programmeWith()).submitted();
    await c.closeCallAndAccept();
    await c.reviewersScore(8);
    await c.passAssessments();
    await c.award();
    const filer = { name: 'Li Na', idMasked: '110101********0011', idHash: 'recorded', contact: '13800000000' };
    await c.handle.executeUpdate(fileObjectionUpdate, { args: [{ filer, text: 'Held another award for this project' }] });
    const filed = await c.handle.executeUpdate(fileObjectionUpdate, { args: [{ filer, text: 'The prototype was bought' }] });
    const [first, second] = filed.objections;
    await c.handle.executeUpdate(resolveObjectionUpdate, { args: [{ actor: c.officer, objectionId: first!.id, resolution: 'dismissed', reason: 'recorded' }] });
    await c.handle.executeUpdate(resolveObjectionUpdate, { args: [{ actor: c.officer, objectionId: second!.id, resolution: 'upheld', action: 'back_to_review', reason: 'recorded' }] });
    await c.waitFor('expert_review');
    return c.id;
  },
  async 'fund-withdrawn-in-review'(env, taskQueue, db) {
    const c = await (await new CaseDriver(env, db, taskQueue).programmeWith()).submitted();
    await c.closeCallAndAccept();
    await c.seatedPanel();
    await c.handle.executeUpdate(withdrawUpdate, { args: [{ actor: c.applicant, reason: 'recorded' }] });
    return c.id;
  },
  async 'station-term-renewed'(env, taskQueue, db) {
    const s = await (await new StationDriver(env, db, taskQueue).programmeWith()).submitted();
    const firstRun = await renewedIntoSecondTerm(env, s);
    await env.sleep('370 days');
    await s.evaluation(40);
    await s.waitUntil('revocation', (v) => v.stage === 'revoked', '1 hour');
    const secondRun = (await s.current().describe()).runId;
    return { workflowId: s.id, runIds: [firstRun, secondRun] };
  },
  // Recorded after PROJECTOR_PATCH: a station's view tokens, across its continue-as-new.
  'station-renewed-view-tokens': renewedThenCancelled,
  // Recorded after PROJECTOR_LOCAL_PATCH: the same path, every batch projected by a local activity.
  'station-projected-locally': renewedThenCancelled,
  async 'station-excellent-commended'(env, taskQueue, db) {
    const s = await (await new StationDriver(env, db, taskQueue).programmeWith()).submitted();
    await s.establish();
    await env.sleep('360 days');
    await s.evaluation(95);
    await s.waitUntil('the year 2 evaluation', (v) => v.evaluations.length === 2, '1 hour');
    await s.current().executeUpdate(cancelStationUpdate, { args: [{ actor: s.officer, reason: 'recorded' }] });
    return s.id;
  },
};

/** A panel declaring at once, whose overlapping handlers' projections coalesce, then to close-out. */
async function panelAtOnceToCloseOut(env: TestWorkflowEnvironment, taskQueue: string, db: TestDatabase): Promise<string> {
    const c = await (await new CaseDriver(env, db, taskQueue).programmeWith()).submitted();
    await c.closeCallAndAccept();
    const { round, panel } = await c.seatedPanel();
    await Promise.all(
      panel.assignments
        .filter((a) => a.status === 'assigned')
        .map((a) => round.executeUpdate(declareConflictUpdate, { args: [{ actor: { id: a.reviewerId, role: 'reviewer' }, conflict: false }] })),
    );
    await c.reviewersScore(8);
    await c.passAssessments();
    await c.award();
    await c.waitFor('agreement');
    await c.handle.executeUpdate(signUpdate, { args: [{ actor: c.applicant }] });
    await c.handle.executeUpdate(countersignUpdate, { args: [{ actor: c.officer }] });
    return signedToCloseOut(env, c);
}

/** A station renewed into its second run, then cancelled in it; both runs' ids. */
async function renewedThenCancelled(env: TestWorkflowEnvironment, taskQueue: string, db: TestDatabase) {
    const s = await (await new StationDriver(env, db, taskQueue).programmeWith()).submitted();
    const firstRun = await renewedIntoSecondTerm(env, s);
    await s.current().executeUpdate(cancelStationUpdate, { args: [{ actor: s.officer, reason: 'recorded' }] });
    const secondRun = (await s.current().describe()).runId;
    return { workflowId: s.id, runIds: [firstRun, secondRun] };
}

/** A station established, evaluated over its first term, renewed, and into its second run; the first run's id. */
async function renewedIntoSecondTerm(env: TestWorkflowEnvironment, s: Awaited<ReturnType<StationDriver['submitted']>>): Promise<string> {
    await s.establish();
    const firstRun = (await s.handle.describe()).runId;
    await env.sleep('360 days');
    await s.evaluation(80);
    await env.sleep('360 days');
    await s.evaluation(75);
    await env.sleep('200 days');
    await s.current().executeUpdate(applyForRenewalUpdate, { args: [{ actor: s.host }] });
    await env.sleep('150 days');
    await s.evaluation(90);
    await s.waitUntil('renewal review', (v) => v.stage === 'renewal_review');
    await s.current().executeUpdate(decideRenewalUpdate, { args: [{ actor: s.officer, approve: true, reason: 'recorded' }] });
    await s.waitUntil('the second term', (v) => v.run === 2, '1 hour');
  return firstRun;
}

/** From a countersigned agreement: both tranches, both milestone checks, the final decision, close-out. */
async function signedToCloseOut(env: TestWorkflowEnvironment, c: Awaited<ReturnType<CaseDriver['submitted']>>): Promise<string> {
    await c.approve('T1');
    await env.sleep('540 days');
    await c.milestone(75);
    await c.waitUntil('T2 released', (v) => v.tranches[1]!.status === 'released');
    await c.approve('T2');
    await env.sleep('540 days');
    await c.milestone(82);
    await c.decideFinal('pass');
    await c.waitFor('completed');
    return c.id;
}
