import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { reconcile } from '../../money/ledger';
import {
  type Actor,
  type ApplicationView,
  type ApplicationWorkflowInput,
  applicationViewQuery,
  approvePaymentUpdate,
  awardUpdate,
  countersignUpdate,
  declareConflictUpdate,
  finalDecisionUpdate,
  formalReviewUpdate,
  publicNoticeViewQuery,
  recordAssessmentUpdate,
  recordScoreUpdate,
  reviewRoundViewQuery,
  signUpdate,
  submitReportUpdate,
  submitScoreUpdate,
  submitUpdate,
} from '../../shared';
import type { ProgrammeConfigInput } from '../../shared/programme-config';
import type { applicationWorkflow } from '../../workflows';
import type { TestDatabase } from './db';
import { DAY } from './fixtures';
import { type SeededProgramme, seedApplication, seedProgramme, seedReviewers } from './seed';

/**
 * Drives talent-fund cases through their workflow on the time-skipping server, as the API would:
 * every human action is an update from the right person; long waits are skipped.
 */
export class CaseDriver {
  readonly officer: Actor = { id: `officer-${randomUUID()}`, role: 'officer' };
  readonly finance: Actor[] = [{ id: `finance-${randomUUID()}`, role: 'finance' }, { id: `finance-${randomUUID()}`, role: 'finance' }];
  programme!: SeededProgramme;
  reviewers: string[] = [];

  constructor(
    readonly env: TestWorkflowEnvironment,
    readonly db: TestDatabase,
    readonly taskQueue: string,
  ) {}

  /** A programme whose call closes in `closesInDays`, with a pool of reviewers for its field. */
  async programmeWith(opts: { config?: ProgrammeConfigInput; budgetFen?: bigint; closesInDays?: number; reviewers?: number } = {}) {
    const now = await this.env.currentTimeMs();
    this.programme = await seedProgramme(
      this.db.prisma,
      { opensAt: new Date(now - DAY), closesAt: new Date(now + (opts.closesInDays ?? 10) * DAY) },
      opts,
    );
    this.reviewers = await seedReviewers(this.db.prisma, opts.reviewers ?? 8);
    return this;
  }

  /** Starts and submits one case. */
  async submitted(overrides: Parameters<typeof seedApplication>[2] = {}) {
    const input = await seedApplication(this.db.prisma, this.programme, overrides);
    const handle = await this.env.client.workflow.start<typeof applicationWorkflow>('applicationWorkflow', {
      workflowId: input.applicationId,
      taskQueue: this.taskQueue,
      args: [input],
    });
    await handle.executeUpdate(submitUpdate, { args: [{ actor: applicant(input) }] });
    return new Case(this, input, handle);
  }
}

export function applicant(input: ApplicationWorkflowInput): Actor {
  return { id: input.applicantId, role: 'applicant' };
}

export class Case {
  constructor(
    readonly driver: CaseDriver,
    readonly input: ApplicationWorkflowInput,
    readonly handle: WorkflowHandle<typeof applicationWorkflow>,
  ) {}

  get id() {
    return this.input.applicationId;
  }
  get applicant(): Actor {
    return applicant(this.input);
  }
  get officer(): Actor {
    return this.driver.officer;
  }

  view(): Promise<ApplicationView> {
    return this.handle.query(applicationViewQuery);
  }

  async stage() {
    return (await this.view()).stage;
  }

  /** Skips time until the case reaches `stage` (checking every `step`). */
  async waitFor(stage: ApplicationView['stage'], step: Duration = '1 day', limit = 2000) {
    for (let i = 0; i < limit; i++) {
      const view = await this.view();
      if (view.stage === stage) return view;
      await this.driver.env.sleep(step);
    }
    const v = await this.view();
    throw new Error(`case never reached ${stage}; it is ${v.stage}: ${JSON.stringify(v.lastReview)}`);
  }

  async waitUntil(what: string, test: (v: ApplicationView) => boolean, step: Duration = '1 day', limit = 2000) {
    for (let i = 0; i < limit; i++) {
      const view = await this.view();
      if (test(view)) return view;
      await this.driver.env.sleep(step);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  async closeCallAndAccept() {
    await this.waitFor('formal_review');
    return this.handle.executeUpdate(formalReviewUpdate, { args: [{ actor: this.officer, decision: 'accept' }] });
  }

  child(id: string | null) {
    if (!id) throw new Error('no child workflow is running');
    return this.driver.env.client.workflow.getHandle(id);
  }


  /** The running review round, once its panel is drawn (the draw follows the stage change). */
  async seatedPanel() {
    const panelSize = this.input.programme.config.review.panelSize;
    for (let i = 0; ; i++) {
      const view = await this.view();
      if (view.active.reviewRound) {
        const round = this.child(view.active.reviewRound);
        const panel = await round.query(reviewRoundViewQuery).catch(() => null);
        const seated = panel?.assignments.filter((a) => ['assigned', 'accepted', 'submitted'].includes(a.status)).length ?? 0;
        if (panel && seated >= panelSize) return { round, panel };
      }
      if (i > 200) throw new Error('the review panel was never seated');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Every seated reviewer declares no conflict and scores every criterion at `score`. */
  async reviewersScore(score: number | ((i: number) => number), onlyFirst?: number) {
    const { round, panel } = await this.seatedPanel();
    const seated = panel.assignments.filter((a) => a.status === 'assigned' || a.status === 'accepted').slice(0, onlyFirst);
    for (const [i, a] of seated.entries()) {
      const actor: Actor = { id: a.reviewerId, role: 'reviewer' };
      if (a.status === 'assigned') await round.executeUpdate(declareConflictUpdate, { args: [{ actor, conflict: false }] });
      const s = typeof score === 'number' ? score : score(i);
      const scores = Object.fromEntries(this.input.programme.config.review.rubric.map((c) => [c.code, s]));
      await round.executeUpdate(submitScoreUpdate, { args: [{ actor, scores, comment: 'Scored in test', recommendation: s >= 7 ? 'fund' : 'do_not_fund' }] });
    }
  }

  async passAssessments() {
    await this.waitFor('defence');
    for (const kind of ['defence', 'site_visit'] as const) {
      await this.handle.executeUpdate(recordAssessmentUpdate, { args: [{ actor: this.officer, kind, outcome: 'pass', notes: 'Convincing' }] });
    }
  }

  async award(tier = 'A', amountFen = 800_000_000) {
    await this.waitFor('committee');
    return this.handle.executeUpdate(awardUpdate, { args: [{ actor: this.officer, decision: 'award', tier, amountFen }] });
  }

  /** The running notice, once its end has been computed (the notice starts before that). */
  async noticeView() {
    for (let i = 0; ; i++) {
      const notice = await this.child((await this.view()).active.notice).query(publicNoticeViewQuery);
      if (notice.endsAt || i > 200) return notice;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Takes a case from submission to a signed agreement. */
  async toSignedAgreement(opts: { tier?: string; amountFen?: number } = {}) {
    await this.closeCallAndAccept();
    await this.reviewersScore(8);
    await this.passAssessments();
    await this.award(opts.tier, opts.amountFen);
    await this.waitFor('agreement');
    await this.handle.executeUpdate(signUpdate, { args: [{ actor: this.applicant }] });
    return this.handle.executeUpdate(countersignUpdate, { args: [{ actor: this.officer }] });
  }

  async approve(trancheCode: string, by = this.driver.finance[0]!) {
    return this.handle.executeUpdate(approvePaymentUpdate, { args: [{ actor: by, trancheCode }] });
  }

  /** Reports and scores the current milestone check. */
  async milestone(score: number) {
    const view = await this.waitUntil('a milestone check', (v) => v.active.milestoneCheck !== null);
    const check = this.child(view.active.milestoneCheck);
    await check.executeUpdate(submitReportUpdate, { args: [{ actor: this.applicant, summary: 'Pilot line running at 80% yield' }] });
    // The score's own answer: a case that runs its checks in itself has ended this one by the time a query could ask.
    return check.executeUpdate(recordScoreUpdate, { args: [{ actor: this.officer, score }] });
  }

  async decideFinal(outcome: 'pass' | 'rectify' | 'close' | 'terminate' | 'force_terminate', reason = 'Panel and committee decision') {
    await this.waitUntil('the final decision to be awaited', (v) => v.stage === 'final_acceptance' && v.next.waitingOn === 'officer' && !v.active.milestoneCheck);
    return this.handle.executeUpdate(finalDecisionUpdate, { args: [{ actor: this.officer, outcome, reason }] });
  }

  /**
   * The ledger must add up, and the read model must catch up with the workflow's stage (it is
   * written by an activity just after the workflow moves).
   */
  async expectConsistent() {
    expect(await reconcile(this.driver.db.prisma, this.input.programme.id)).toEqual([]);
    const stage = await this.stage();
    let row = await this.driver.db.prisma.application.findUniqueOrThrow({ where: { id: this.id } });
    for (let i = 0; row.stage !== stage && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      row = await this.driver.db.prisma.application.findUniqueOrThrow({ where: { id: this.id } });
    }
    expect(row.stage).toBe(stage);
  }
}
