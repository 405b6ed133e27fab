import {
  type ActionContext,
  type CaseEvent,
  type EvaluationOutcome,
  type ExpertChange,
  type ExpertChangeDecision,
  type ExpertChangeRequest,
  type NextStep,
  type RenewalCommand,
  type RenewalDecision,
  type ReviewOutcome,
  type SiteVisitCommand,
  type StationCarry,
  type StationCloseCommand,
  type StationEvaluation,
  type StationFormalCommand,
  type StationStage,
  type StationStalledCommand,
  type StationType,
  type StationView,
  type StationWorkflowInput,
  FINAL_STATION_STAGES,
  DAY_MS,
  afterMonths,
} from '../../shared';
import { reject, requireRole } from '../lib/rules';

/** Stages before establishment, in which the host may still withdraw. */
const BEFORE_ESTABLISHMENT: readonly StationStage[] = ['submitted', 'formal_check', 'expert_panel', 'panel_stalled', 'site_visit', 'public_notice'];

/**
 * The transitions of one station: application, establishment, yearly evaluations over its terms,
 * expert changes, renewal or expiry, revocation. Deterministic; what a run must hand to the next
 * (continue-as-new) is in `carry()`.
 */
export class StationCase {
  private stage: StationStage;
  private seq: number;
  private auditSeq: number;
  private readonly history: StationCarry['history'];
  private next: NextStep;
  term: number;
  termStartedAt: string | null;
  establishedAt: string | null;
  yearsDone: number;
  residentExperts: string[];
  readonly evaluations: StationEvaluation[];
  readonly expertChanges: ExpertChange[];
  /** Changes whose decision is under way (see validateNotBeingDecided); never carried over a run. */
  private readonly deciding = new Set<string>();
  readonly run: number;
  eligibility: StationView['eligibility'] = null;
  lastReview: StationView['lastReview'] = null;
  reviewRound = 0;
  readonly conflicted = new Set<string>();
  readonly active: StationView['active'] = { reviewRound: null, notice: null, milestoneCheck: null };
  renewalAppliedAt: string | null = null;
  closedReason: string | null = null;

  // Decisions taken by updates, for the workflow to act on.
  formalDecision: StationFormalCommand | null = null;
  stalledDecision: StationStalledCommand | null = null;
  siteVisit: SiteVisitCommand | null = null;
  renewalDecision: RenewalDecision | null = null;
  abort: { kind: 'withdraw' | 'cancel'; cmd: StationCloseCommand } | null = null;

  constructor(
    private readonly input: StationWorkflowInput,
    private readonly emit: (...e: CaseEvent[]) => void,
  ) {
    const c = input.carry;
    this.stage = c?.stage ?? 'draft';
    this.seq = c?.seq ?? 0;
    this.auditSeq = c?.auditSeq ?? 0;
    this.history = c ? [...c.history] : [];
    this.term = c?.term ?? 0;
    this.termStartedAt = c?.termStartedAt ?? null;
    this.establishedAt = c?.establishedAt ?? null;
    this.yearsDone = c?.yearsDone ?? 0;
    this.residentExperts = c ? [...c.residentExperts] : [];
    this.evaluations = c ? [...c.evaluations] : [];
    this.expertChanges = c ? [...c.expertChanges] : [];
    this.run = c?.run ?? 1;
    this.next = { waitingOn: 'applicant', what: 'Submit the application', dueAt: null };
  }

  get type(): StationType {
    const t = this.input.programme.config.stationTypes.find((x) => x.code === this.input.station.type);
    if (!t) throw new Error(`Unknown station type ${this.input.station.type}`);
    return t;
  }
  get rules() {
    return this.input.programme.config;
  }
  get currentStage(): StationStage {
    return this.stage;
  }
  get isFinal(): boolean {
    return FINAL_STATION_STAGES.includes(this.stage);
  }
  get historyLength(): number {
    return this.history.length;
  }
  get termEndsAt(): Date | null {
    return this.termStartedAt ? afterMonths(new Date(this.termStartedAt), this.type.termYears * 12, this.rules.timeScale) : null;
  }
  /** When the evaluation of a year of the current term is due. */
  evaluationDueAt(year: number): Date {
    return afterMonths(new Date(this.termStartedAt!), year * this.type.evaluationEveryMonths, this.rules.timeScale);
  }
  get evaluationsPerTerm(): number {
    return Math.floor((this.type.termYears * 12) / this.type.evaluationEveryMonths);
  }

  // ---- Application ---------------------------------------------------------------------------

  validateSubmit(cmd: ActionContext): void {
    this.requireHost(cmd);
    if (this.stage !== 'draft') reject('WrongStage', `The station application is already ${this.stage}`);
  }

  submit(cmd: ActionContext, now: Date): void {
    this.validateSubmit(cmd);
    this.moveTo('submitted', now, cmd, { waitingOn: 'system', what: 'Automatic checks', dueAt: null });
  }

  startFormalCheck(now: Date, eligibility: { passed: boolean; failures: string[] }): void {
    this.eligibility = eligibility;
    this.formalDecision = null;
    this.moveTo('formal_check', now, null, { waitingOn: 'officer', what: 'Formal check: accept or reject', dueAt: null }, { eligibility });
  }

  validateFormal(cmd: StationFormalCommand): void {
    requireRole(cmd, 'officer');
    if (this.stage !== 'formal_check' || this.formalDecision) reject('WrongStage', 'The station is not awaiting a formal check');
    if (cmd.decision === 'reject' && !cmd.reason?.trim()) reject('InvalidAction', 'Give the reason');
  }

  decideFormal(cmd: StationFormalCommand): void {
    this.validateFormal(cmd);
    this.formalDecision = cmd;
  }

  startPanel(now: Date, roundId: string): void {
    this.reviewRound++;
    this.active.reviewRound = roundId;
    this.stalledDecision = null;
    this.moveTo('expert_panel', now, null, { waitingOn: 'reviewer', what: `Expert panel, round ${this.reviewRound}`, dueAt: null }, { round: this.reviewRound });
  }

  panelFinished(outcome: ReviewOutcome, now: Date): void {
    this.active.reviewRound = null;
    for (const id of outcome.conflicted) this.conflicted.add(id);
    this.lastReview = { round: this.reviewRound, outcome: outcome.outcome, aggregate: outcome.aggregate };
    if (outcome.outcome === 'no_quorum') {
      this.moveTo('panel_stalled', now, null, { waitingOn: 'officer', what: 'Too few reviewers scored: restart the panel or reject', dueAt: null });
    }
  }

  validateStalled(cmd: StationStalledCommand): void {
    requireRole(cmd, 'officer');
    if (this.stage !== 'panel_stalled' || this.stalledDecision) reject('WrongStage', 'The panel has not stalled');
    if (!cmd.reason?.trim()) reject('InvalidAction', 'Give the reason');
  }

  decideStalled(cmd: StationStalledCommand): void {
    this.validateStalled(cmd);
    this.stalledDecision = cmd;
  }

  startSiteVisit(now: Date): void {
    this.siteVisit = null;
    this.moveTo('site_visit', now, null, { waitingOn: 'officer', what: 'Visit the host and record the outcome', dueAt: null }, { review: this.lastReview });
  }

  validateSiteVisit(cmd: SiteVisitCommand): void {
    requireRole(cmd, 'officer');
    if (this.stage !== 'site_visit' || this.siteVisit) reject('WrongStage', 'No site visit is awaited');
  }

  recordSiteVisit(cmd: SiteVisitCommand): void {
    this.validateSiteVisit(cmd);
    this.siteVisit = cmd;
    this.audit('station.site_visit', cmd, { outcome: cmd.outcome, notes: cmd.notes });
  }

  startNotice(now: Date, id: string): void {
    this.active.notice = id;
    this.moveTo('public_notice', now, null, { waitingOn: 'public', what: 'Public notice of the establishment', dueAt: null });
  }

  noticeEnded(): void {
    this.active.notice = null;
  }

  // ---- Establishment and the term ------------------------------------------------------------

  established(now: Date): void {
    this.term = 1;
    this.termStartedAt = now.toISOString();
    this.establishedAt = now.toISOString();
    this.yearsDone = 0;
    this.residentExperts = [...this.input.station.experts];
    this.moveTo('established', now, null, this.termNext(), {
      term: this.term,
      termEndsAt: this.termEndsAt!.toISOString(),
      establishedAt: this.establishedAt,
      subsidyFen: this.type.subsidyFen,
    });
    this.notifyHost(`established`, `Your ${this.type.label} is established; its subsidy of ${this.type.subsidyFen} fen is paid`);
  }

  startEvaluation(now: Date, year: number, attempt: number, workflowId: string, dueAt: Date): void {
    this.active.milestoneCheck = workflowId;
    this.evaluations.push({ term: this.term, year, attempt, workflowId, score: null, outcome: null });
    this.next = { waitingOn: 'applicant', what: `Submit the year ${year} evaluation report`, dueAt: dueAt.toISOString() };
    this.emitNext();
  }

  /** The outcome of a yearly evaluation by its score, as the programme's thresholds say. */
  grade(score: number | null): EvaluationOutcome {
    const e = this.rules.evaluation;
    if (score === null) return 'no_show';
    if (score >= e.excellentScore) return 'excellent';
    if (score >= e.passScore) return 'pass';
    if (score >= e.rectifyScore) return 'rectify';
    return 'fail';
  }

  evaluationFinished(score: number | null, outcome: EvaluationOutcome, now: Date): void {
    const rec = this.evaluations[this.evaluations.length - 1]!;
    rec.score = score;
    rec.outcome = outcome;
    this.active.milestoneCheck = null;
    this.audit('station.evaluated', null, { term: rec.term, year: rec.year, attempt: rec.attempt, score, outcome });
    if (outcome === 'rectify' && rec.attempt === 1) {
      this.moveTo('rectifying', now, null, { waitingOn: 'applicant', what: 'Rectify, then report again', dueAt: null }, { year: rec.year, score });
    } else if ((outcome === 'excellent' || outcome === 'pass') && this.stage === 'rectifying') {
      this.moveTo('established', now, null, this.termNext(), { term: this.term });
    } else {
      this.next = this.termNext();
      this.emitNext();
    }
  }

  yearDone(): void {
    this.yearsDone++;
  }

  commend(year: number): void {
    this.notifyHost(`excellent:${this.term}:${year}`, `Your station was rated excellent in the year ${year} evaluation`);
  }

  // ---- Expert changes ------------------------------------------------------------------------

  validateExpertChange(cmd: ExpertChangeRequest): void {
    this.requireHost(cmd);
    if (this.stage !== 'established' && this.stage !== 'rectifying') reject('WrongStage', 'Experts change only while the station runs');
    if (!cmd.add && !cmd.remove) reject('InvalidAction', 'Name an expert to add, to remove, or both');
    if (cmd.add && this.residentExperts.includes(cmd.add)) reject('InvalidAction', 'That expert is already resident');
    if (cmd.remove && !this.residentExperts.includes(cmd.remove)) reject('InvalidAction', 'That expert is not resident here');
    const after = this.residentExperts.length + (cmd.add ? 1 : 0) - (cmd.remove ? 1 : 0);
    const { min, max } = this.type.residentExperts;
    if (after < min || after > max) reject('InvalidAction', `A ${this.type.label} needs ${min} to ${max} resident experts`);
    if (this.expertChanges.some((c) => c.status === 'pending')) reject('WrongStage', 'Another change awaits the officer');
    if (!cmd.reason?.trim()) reject('InvalidAction', 'Give the reason');
  }

  requestExpertChange(cmd: ExpertChangeRequest, now: Date): void {
    this.validateExpertChange(cmd);
    const change: ExpertChange = {
      id: `${this.input.stationId}:change:${this.expertChanges.length + 1}`,
      add: cmd.add ?? null,
      remove: cmd.remove ?? null,
      reason: cmd.reason,
      requestedAt: now.toISOString(),
      status: 'pending',
    };
    this.expertChanges.push(change);
    this.audit('station.expert_change_requested', cmd, { ...change });
    this.emit({
      type: 'notify',
      key: `${change.id}:requested`,
      caseId: this.input.stationId,
      to: { role: 'officer' },
      kind: 'station.expert_change',
      message: `${this.input.station.name} asks to change its resident experts`,
    });
  }

  validateExpertDecision(cmd: ExpertChangeDecision): ExpertChange {
    requireRole(cmd, 'officer');
    const change = this.expertChanges.find((c) => c.id === cmd.changeId);
    if (!change) reject('InvalidAction', `No change ${cmd.changeId}`);
    if (change.status !== 'pending') reject('AlreadyDone', 'The change is already decided');
    if (!cmd.reason?.trim()) reject('InvalidAction', 'Give the reason');
    return change;
  }

  /**
   * An approval is being put into the seats (an activity) before it is recorded: a second decision
   * on the same change — another approval, or a refusal — must not get through meanwhile, or the
   * seats could end changed for a change recorded as refused. Checked in the update's validator
   * only: validators do not run on replay, so histories recorded before this check replay as they were.
   */
  validateNotBeingDecided(cmd: ExpertChangeDecision): void {
    if (this.deciding.has(cmd.changeId)) reject('AlreadyDone', 'The change is already being decided');
  }

  /** Starts a decision; the change counts as being decided until it is recorded or fails. */
  beginExpertDecision(cmd: ExpertChangeDecision): ExpertChange {
    const change = this.validateExpertDecision(cmd);
    this.deciding.add(change.id);
    return change;
  }

  expertDecisionFailed(changeId: string): void {
    this.deciding.delete(changeId);
  }

  /** Called once an approved change is in the seats (or at once for a refusal). */
  decideExpertChange(cmd: ExpertChangeDecision): void {
    this.deciding.delete(cmd.changeId);
    const change = this.validateExpertDecision(cmd);
    change.status = cmd.approve ? 'approved' : 'rejected';
    if (cmd.approve) {
      this.residentExperts = this.residentExperts.filter((e) => e !== change.remove).concat(change.add ? [change.add] : []);
    }
    this.audit(`station.expert_change_${change.status}`, cmd, { changeId: change.id, add: change.add, remove: change.remove });
  }

  // ---- Renewal, expiry, revocation -----------------------------------------------------------

  validateRenewal(cmd: RenewalCommand, now: Date): void {
    this.requireHost(cmd);
    if (this.stage !== 'established') reject('WrongStage', 'Only a running station in good standing can apply for renewal');
    if (this.renewalAppliedAt) reject('AlreadyDone', 'Renewal has been applied for');
    const opens = this.termEndsAt!.getTime() - (this.rules.renewal.applyWithinDaysBeforeEnd * DAY_MS) / this.rules.timeScale;
    if (now.getTime() < opens) reject('WrongStage', `Renewal opens at ${new Date(opens).toISOString()}`);
  }

  applyForRenewal(cmd: RenewalCommand, now: Date): void {
    this.validateRenewal(cmd, now);
    this.renewalAppliedAt = now.toISOString();
    this.audit('station.renewal_applied', cmd);
  }

  startRenewalReview(now: Date): void {
    this.renewalDecision = null;
    this.moveTo('renewal_review', now, null, { waitingOn: 'officer', what: 'Decide on renewal for another term', dueAt: null }, { term: this.term });
  }

  validateRenewalDecision(cmd: RenewalDecision): void {
    requireRole(cmd, 'officer');
    if (this.stage !== 'renewal_review' || this.renewalDecision) reject('WrongStage', 'No renewal awaits a decision');
    if (!cmd.reason?.trim()) reject('InvalidAction', 'Give the reason');
  }

  decideRenewal(cmd: RenewalDecision): void {
    this.validateRenewalDecision(cmd);
    this.renewalDecision = cmd;
  }

  /** The next term begins where the last one ended. */
  renew(now: Date, nextTermStartsAt: Date): void {
    this.term++;
    this.termStartedAt = nextTermStartsAt.toISOString();
    this.yearsDone = 0;
    this.renewalAppliedAt = null;
    this.moveTo('established', now, this.renewalDecision, this.termNext(), { term: this.term, termEndsAt: this.termEndsAt!.toISOString() });
  }

  validateWithdraw(cmd: StationCloseCommand): void {
    this.requireHost(cmd);
    if (!BEFORE_ESTABLISHMENT.includes(this.stage)) reject('WrongStage', 'A station can be withdrawn only before it is established');
    if (this.abort) reject('AlreadyDone', 'The station is already being closed');
  }

  validateCancel(cmd: StationCloseCommand): void {
    requireRole(cmd, 'officer');
    if (this.isFinal || this.stage === 'draft') reject('WrongStage', `The station is ${this.stage}`);
    if (this.abort) reject('AlreadyDone', 'The station is already being closed');
    if (!cmd.reason?.trim()) reject('InvalidAction', 'Give the reason');
  }

  close(stage: StationStage, now: Date, ctx: ActionContext | null, reason: string): void {
    this.closedReason = reason;
    this.active.reviewRound = null;
    this.active.notice = null;
    this.active.milestoneCheck = null;
    this.moveTo(stage, now, ctx, { waitingOn: 'nobody', what: reason, dueAt: null }, undefined, reason);
    this.notifyHost(`closed:${stage}`, `Your station is ${stage}: ${reason}`);
  }

  // ---- Views and carrying over ---------------------------------------------------------------

  carry(): StationCarry {
    return {
      run: this.run + 1,
      seq: this.seq,
      auditSeq: this.auditSeq,
      stage: this.stage,
      term: this.term,
      termStartedAt: this.termStartedAt!,
      establishedAt: this.establishedAt!,
      yearsDone: this.yearsDone,
      residentExperts: [...this.residentExperts],
      evaluations: this.evaluations.slice(-12),
      expertChanges: this.expertChanges.filter((c) => c.status === 'pending' || this.expertChanges.indexOf(c) >= this.expertChanges.length - 10),
      history: this.history.slice(-20),
    };
  }

  view(): StationView {
    return {
      stationId: this.input.stationId,
      stage: this.stage,
      type: this.input.station.type,
      configVersion: this.input.programme.configVersion,
      term: this.term,
      termStartedAt: this.termStartedAt,
      termEndsAt: this.termEndsAt?.toISOString() ?? null,
      residentExperts: [...this.residentExperts],
      proposedExperts: [...this.input.station.experts],
      next: { ...this.next },
      history: [...this.history],
      eligibility: this.eligibility,
      lastReview: this.lastReview,
      active: { ...this.active },
      evaluations: this.evaluations.map((e) => ({ ...e })),
      expertChanges: this.expertChanges.map((c) => ({ ...c })),
      renewal: { appliedAt: this.renewalAppliedAt },
      run: this.run,
      closedReason: this.closedReason,
    };
  }

  private termNext(): NextStep {
    const year = this.yearsDone + 1;
    return year <= this.evaluationsPerTerm
      ? { waitingOn: 'applicant', what: `Year ${year} evaluation of term ${this.term}`, dueAt: this.evaluationDueAt(year).toISOString() }
      : { waitingOn: 'applicant', what: `Apply for renewal before term ${this.term} ends`, dueAt: this.termEndsAt!.toISOString() };
  }

  private requireHost(cmd: ActionContext): void {
    if (cmd.actor.role !== 'applicant' || cmd.actor.id !== this.input.hostId) reject('NotYourCase', 'Only the host of this station may do this');
  }

  private moveTo(to: StationStage, now: Date, ctx: ActionContext | null, next: NextStep, detail?: Record<string, unknown>, reason?: string): void {
    const from = this.stage;
    this.stage = to;
    this.next = next;
    this.history.push({ stage: to, at: now.toISOString() });
    this.emit({
      type: 'stage',
      caseKind: 'station',
      caseId: this.input.stationId,
      change: { seq: ++this.seq, from, to, at: now.toISOString(), actor: ctx?.actor ?? null, requestId: ctx?.requestId, reason: reason ?? ctx?.reason, next, detail },
    });
  }

  private emitNext(): void {
    this.emit({
      type: 'stage',
      caseKind: 'station',
      caseId: this.input.stationId,
      change: { seq: ++this.seq, from: this.stage, to: this.stage, at: new Date().toISOString(), actor: null, next: { ...this.next } },
    });
  }

  private audit(action: string, cmd: ActionContext | null, detail?: Record<string, unknown>): void {
    this.emit({
      type: 'audit',
      caseKind: 'station',
      key: `${this.input.stationId}:audit:${++this.auditSeq}`,
      caseId: this.input.stationId,
      actor: cmd?.actor ?? null,
      action,
      reason: cmd?.reason,
      requestId: cmd?.requestId,
      detail,
    });
  }

  private notifyHost(purpose: string, message: string): void {
    this.emit({
      type: 'notify',
      key: `${this.input.stationId}:${purpose}`,
      caseId: this.input.stationId,
      to: { userId: this.input.hostId },
      kind: `station.${purpose.split(':')[0]}`,
      message,
    });
  }
}
