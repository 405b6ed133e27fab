import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { reconcile } from '../../money/ledger';
import {
  type Actor,
  type StationView,
  type StationWorkflowInput,
  declareConflictUpdate,
  milestoneCheckViewQuery,
  recordScoreUpdate,
  reviewRoundViewQuery,
  siteVisitUpdate,
  stationFormalUpdate,
  stationViewQuery,
  submitReportUpdate,
  submitScoreUpdate,
  submitStationUpdate,
} from '../../shared';
import { type StationProgrammeConfigInput, stationProgrammeConfigSchema } from '../../shared/programme-config';
import type { stationWorkflow } from '../../workflows';
import type { TestDatabase } from './db';
import { stationConfig } from './fixtures';
import { seedReviewers } from './seed';

/** Drives stations through their workflow on the time-skipping server, as the API would. */
export class StationDriver {
  readonly officer: Actor = { id: `officer-${randomUUID()}`, role: 'officer' };
  programmeId = '';
  config = stationProgrammeConfigSchema.parse(stationConfig());

  constructor(
    readonly env: TestWorkflowEnvironment,
    readonly db: TestDatabase,
    readonly taskQueue: string,
  ) {}

  async programmeWith(opts: { config?: StationProgrammeConfigInput; budgetFen?: bigint } = {}) {
    this.config = stationProgrammeConfigSchema.parse(opts.config ?? stationConfig());
    const p = await this.db.prisma.programme.create({
      data: {
        code: `WZ-${randomUUID().slice(0, 8)}`,
        title: 'Wenzhou academician and expert workstations',
        kind: 'workstation',
        budgetFen: opts.budgetFen ?? 10_000_000_000n,
        opensAt: new Date(Date.now() - 86_400_000),
        closesAt: new Date(Date.now() + 3 * 365 * 86_400_000),
        config: this.config as never,
        createdById: this.officer.id,
      },
    });
    this.programmeId = p.id;
    await seedReviewers(this.db.prisma, 6, 'advanced-manufacturing');
    return this;
  }

  async expert(title: 'academician' | 'expert' | 'doctor' | 'postdoc' = 'academician') {
    const e = await this.db.prisma.expert.create({ data: { name: `Academician ${randomUUID().slice(0, 4)}`, title, field: 'advanced-manufacturing' } });
    return e.id;
  }

  /** Starts and submits a station application. */
  async submitted(opts: { type?: string; experts?: string[] } = {}) {
    const host = await this.db.prisma.user.create({ data: { email: `host-${randomUUID()}@corp.cn`, displayName: 'Wenzhou Valve Co.', role: 'applicant' } });
    const experts = opts.experts ?? [await this.expert()];
    const station = await this.db.prisma.station.create({
      data: {
        programmeId: this.programmeId,
        hostId: host.id,
        hostName: 'Wenzhou Valve Co., Ltd.',
        type: opts.type ?? 'academician_workstation',
        name: 'Wenzhou Valve academician workstation',
        field: 'advanced-manufacturing',
        experts: { create: experts.map((expertId) => ({ expertId, status: 'proposed' })) },
      },
    });
    const input: StationWorkflowInput = {
      stationId: station.id,
      hostId: host.id,
      programme: { id: this.programmeId, configVersion: 1, config: this.config },
      station: { type: station.type, name: station.name, field: station.field, hostName: station.hostName, hostKind: 'enterprise', experts },
    };
    const handle = await this.env.client.workflow.start<typeof stationWorkflow>('stationWorkflow', {
      workflowId: station.id,
      taskQueue: this.taskQueue,
      args: [input],
    });
    await handle.executeUpdate(submitStationUpdate, { args: [{ actor: { id: host.id, role: 'applicant' } }] });
    return new StationCaseDriver(this, input, handle);
  }
}

export class StationCaseDriver {
  constructor(
    readonly driver: StationDriver,
    readonly input: StationWorkflowInput,
    readonly handle: WorkflowHandle<typeof stationWorkflow>,
  ) {}

  get id() {
    return this.input.stationId;
  }
  get host(): Actor {
    return { id: this.input.hostId, role: 'applicant' };
  }
  get officer(): Actor {
    return this.driver.officer;
  }
  /** The handle of the station's current run (after continue-as-new too). */
  current() {
    return this.driver.env.client.workflow.getHandle<typeof stationWorkflow>(this.id);
  }
  view(): Promise<StationView> {
    return this.current().query(stationViewQuery);
  }
  child(id: string | null) {
    if (!id) throw new Error('no child workflow is running');
    return this.driver.env.client.workflow.getHandle(id);
  }

  async waitUntil(what: string, test: (v: StationView) => boolean, step: Duration = '1 day', limit = 3000) {
    for (let i = 0; i < limit; i++) {
      const v = await this.view();
      if (test(v)) return v;
      await this.driver.env.sleep(step);
    }
    throw new Error(`timed out waiting for ${what}; the station is ${(await this.view()).stage}`);
  }

  async panelScores(score: number) {
    let round;
    for (let i = 0; ; i++) {
      const v = await this.view();
      if (v.active.reviewRound) {
        round = this.child(v.active.reviewRound);
        const panel = await round.query(reviewRoundViewQuery).catch(() => null);
        const seated = panel?.assignments.filter((a) => ['assigned', 'accepted', 'submitted'].includes(a.status)).length ?? 0;
        if (panel && seated >= this.driver.config.review.panelSize) break;
      }
      if (i > 200) throw new Error('no panel');
      await new Promise((r) => setTimeout(r, 50));
    }
    const panel = await round.query(reviewRoundViewQuery);
    for (const a of panel.assignments.filter((x) => x.status === 'assigned')) {
      const actor: Actor = { id: a.reviewerId, role: 'reviewer' };
      await round.executeUpdate(declareConflictUpdate, { args: [{ actor, conflict: false }] });
      await round.executeUpdate(submitScoreUpdate, { args: [{ actor, scores: { host: score, experts: score, plan: score }, comment: 'ok', recommendation: 'fund' }] });
    }
  }

  /** Formal check, panel and site visit: the station's establishment is under public notice. */
  async toNotice() {
    await this.waitUntil('formal check', (v) => v.stage === 'formal_check', '1 hour');
    await this.handle.executeUpdate(stationFormalUpdate, { args: [{ actor: this.officer, decision: 'accept' }] });
    await this.panelScores(8);
    await this.waitUntil('site visit', (v) => v.stage === 'site_visit', '1 hour');
    return this.handle.executeUpdate(siteVisitUpdate, { args: [{ actor: this.officer, outcome: 'pass', notes: 'Lab and staff in place' }] });
  }

  /** ... and a notice without objections: the station is established (or refused). */
  async establish() {
    await this.toNotice();
    await this.driver.env.sleep('10 days');
    return this.waitUntil('establishment', (v) => v.stage === 'established' || v.stage === 'rejected');
  }

  /** Reports and scores the running yearly evaluation. */
  async evaluation(score: number) {
    const v = await this.waitUntil('an evaluation', (x) => x.active.milestoneCheck !== null);
    const check = this.child(v.active.milestoneCheck);
    await check.executeUpdate(submitReportUpdate, { args: [{ actor: this.host, summary: 'Three joint patents filed' }] });
    await check.executeUpdate(recordScoreUpdate, { args: [{ actor: this.officer, score }] });
    return check.query(milestoneCheckViewQuery);
  }

  async expectLedgerReconciled() {
    expect(await reconcile(this.driver.db.prisma, this.driver.programmeId)).toEqual([]);
  }
}
