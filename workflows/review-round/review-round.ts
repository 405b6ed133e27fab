import type {
  AssignmentView,
  CaseEvent,
  DeclareConflictCommand,
  ReviewOutcome,
  ReviewRoundInput,
  ReviewRoundView,
  SubmitScoreCommand,
} from '../../shared';
import { DAY_MS } from '../../shared';
import { reject, requireRole } from '../lib/rules';

interface Assignment extends AssignmentView {
  rev: number;
  remindersSent: number[];
  /** Reminders whose moment the round first saw after the deadline: never sent (the escalation went instead). */
  remindersMissed: number[];
  escalated: boolean;
}

/** What an assignment shows outside the round: its timing bookkeeping stays inside. */
function shown({ rev: _r, remindersSent: _s, remindersMissed: _m, escalated: _e, ...assignment }: Assignment): AssignmentView {
  return assignment;
}

/** Weighted total on 0-100 from per-criterion scores (each 0..max). */
export function weightedTotal(rubric: ReviewRoundInput['review']['rubric'], scores: Record<string, number>): number {
  const weights = rubric.reduce((s, c) => s + c.weight, 0);
  const sum = rubric.reduce((s, c) => s + (c.weight * (scores[c.code] ?? 0)) / c.max, 0);
  return Math.round((sum / weights) * 100 * 100) / 100;
}

/** The panel's score: the mean, or the mean without the highest and the lowest (with 3 or more scores). */
export function aggregate(totals: number[], method: 'mean' | 'trimmed_mean'): number {
  const sorted = [...totals].sort((a, b) => a - b);
  const used = method === 'trimmed_mean' && sorted.length >= 3 ? sorted.slice(1, -1) : sorted;
  return Math.round((used.reduce((s, t) => s + t, 0) / used.length) * 100) / 100;
}

/**
 * One expert review round: who is assigned, their declarations and scores, reminders, escalation
 * and replacement of silent reviewers. Pure: time comes in, events go out through `emit`.
 */
export class ReviewRound {
  private readonly assignments = new Map<string, Assignment>();
  private readonly everDrawn = new Set<string>();
  private replacementsUsed = 0;
  /** Seats of silent reviewers removed after the replacement limit was reached: left empty. */
  private seatsGivenUp = 0;
  private escalatedToOfficer = false;
  private result: ReviewOutcome | null = null;

  constructor(
    private readonly input: ReviewRoundInput,
    private readonly workflowId: string,
    private readonly emit: (...e: CaseEvent[]) => void,
  ) {
    for (const id of input.exclude) this.everDrawn.add(id);
  }

  get excluded(): string[] {
    return [...this.everDrawn];
  }

  /** Seats to fill now: recused reviewers are always replaced, silent ones within the limit. */
  get vacancies(): number {
    const seated = [...this.assignments.values()].filter((a) => ['assigned', 'accepted', 'submitted'].includes(a.status));
    return Math.max(0, this.input.review.panelSize - seated.length - this.seatsGivenUp);
  }

  get outcome(): ReviewOutcome | null {
    return this.result;
  }

  assign(reviewerIds: string[], now: Date): void {
    const dueAt = new Date(now.getTime() + (this.input.review.deadlineDays * DAY_MS) / this.input.timeScale).toISOString();
    for (const reviewerId of reviewerIds) {
      this.everDrawn.add(reviewerId);
      const a: Assignment = {
        reviewerId,
        status: 'assigned',
        dueAt,
        scores: null,
        total: null,
        recommendation: null,
        comment: null,
        submittedAt: null,
        rev: 0,
        remindersSent: [],
        remindersMissed: [],
        escalated: false,
      };
      this.assignments.set(reviewerId, a);
      this.changed(a);
      this.emit({
        type: 'notify',
        key: `${this.workflowId}:assigned:${reviewerId}`,
        caseId: this.input.caseId,
        to: { userId: reviewerId },
        kind: 'review.assigned',
        message: `You are asked to review an application (round ${this.input.round}); declare any conflict of interest, then score by the due date`,
        dueAt,
      });
    }
  }

  validateDeclare(cmd: DeclareConflictCommand): void {
    requireRole(cmd, 'reviewer');
    const a = this.assignments.get(cmd.actor.id);
    if (!a || a.status === 'replaced' || a.status === 'recused') reject('NotYourCase', 'You are not on this panel');
    if (a.status !== 'assigned') reject('AlreadyDone', 'You have already declared');
    if (this.result) reject('WrongStage', 'The round is over');
    if (cmd.conflict && !cmd.reason?.trim()) reject('InvalidAction', 'Say what the conflict of interest is');
  }

  declare(cmd: DeclareConflictCommand): void {
    this.validateDeclare(cmd);
    const a = this.assignments.get(cmd.actor.id)!;
    a.status = cmd.conflict ? 'recused' : 'accepted';
    this.changed(a);
    this.audit(cmd.conflict ? 'review.conflict_declared' : 'review.no_conflict', cmd, cmd.reason);
  }

  validateScore(cmd: SubmitScoreCommand): void {
    requireRole(cmd, 'reviewer');
    const a = this.assignments.get(cmd.actor.id);
    if (!a || a.status === 'replaced') reject('NotYourCase', 'You are not on this panel');
    if (a.status === 'recused') reject('ConflictDeclared', 'You declared a conflict of interest on this case');
    if (a.status === 'assigned') reject('WrongStage', 'Declare whether you have a conflict of interest first');
    if (a.status === 'submitted') reject('AlreadyDone', 'You have already submitted your scores');
    if (this.result) reject('WrongStage', 'The round is over');
    const rubric = this.input.review.rubric;
    const given = Object.keys(cmd.scores);
    const unknown = given.filter((k) => !rubric.some((c) => c.code === k));
    if (unknown.length) reject('InvalidAction', `Unknown criteria: ${unknown.join(', ')}`);
    for (const c of rubric) {
      const v = cmd.scores[c.code];
      if (v === undefined) reject('InvalidAction', `Missing a score for ${c.code}`);
      if (!Number.isInteger(v) || v < 0 || v > c.max) reject('InvalidAction', `${c.code} takes a whole number from 0 to ${c.max}`);
    }
  }

  score(cmd: SubmitScoreCommand, now: Date): void {
    this.validateScore(cmd);
    const a = this.assignments.get(cmd.actor.id)!;
    a.status = 'submitted';
    a.scores = { ...cmd.scores };
    a.total = weightedTotal(this.input.review.rubric, cmd.scores);
    a.comment = cmd.comment;
    a.recommendation = cmd.recommendation;
    a.submittedAt = now.toISOString();
    this.changed(a);
    this.audit('review.scored', cmd, undefined, { total: a.total, recommendation: a.recommendation });
  }

  /** The next moment a timer must wake the round: a reminder, an escalation or a replacement. */
  nextWake(): Date | null {
    const times: number[] = [];
    for (const a of this.pending()) {
      for (const t of this.timesFor(a)) times.push(t);
    }
    return times.length ? new Date(Math.min(...times)) : null;
  }

  /** Sends due reminders and escalations; returns reviewers to replace for silence. */
  tick(now: Date): string[] {
    const toReplace: string[] = [];
    const { review, timeScale } = this.input;
    for (const a of this.pending()) {
      const due = new Date(a.dueAt).getTime();
      for (const d of review.reminderDaysBefore) {
        if (!a.remindersSent.includes(d) && now.getTime() >= due - (d * DAY_MS) / timeScale && now.getTime() < due) {
          a.remindersSent.push(d);
          this.emit({
            type: 'notify',
            key: `${this.workflowId}:reminder:${a.reviewerId}:${d}`,
            caseId: this.input.caseId,
            to: { userId: a.reviewerId },
            kind: 'review.reminder',
            message: `Your review is due in ${d} day(s)`,
            dueAt: a.dueAt,
          });
        }
      }
      if (!a.escalated && now.getTime() >= due) {
        a.escalated = true;
        this.escalatedToOfficer = true;
        this.emit({
          type: 'notify',
          key: `${this.workflowId}:overdue:${a.reviewerId}`,
          caseId: this.input.caseId,
          to: { role: 'officer' },
          kind: 'review.overdue',
          message: `A reviewer has not scored by the deadline (round ${this.input.round})`,
          dueAt: a.dueAt,
        });
      }
      if (now.getTime() >= due + (review.replaceSilentAfterDays * DAY_MS) / timeScale) toReplace.push(a.reviewerId);
    }
    return toReplace;
  }

  /**
   * Whether a pending reviewer has a reminder that can no longer be sent: its moment passed unsent
   * and so did the deadline, because the round woke only after both (its worker was down through the
   * reminder's window; at a compressed time scale a day is milliseconds). Until it is dropped, that
   * moment stays the round's next wake-up, already past, and the round wakes again at once.
   */
  hasMissedReminders(now: Date): boolean {
    return this.pending().some((a) => this.missedReminders(a, now).length > 0);
  }

  dropMissedReminders(now: Date): void {
    for (const a of this.pending()) a.remindersMissed.push(...this.missedReminders(a, now));
  }

  /** Takes silent reviewers off the panel; their seats are refilled while replacements remain. */
  removeSilent(reviewerIds: string[]): void {
    for (const id of reviewerIds) {
      const a = this.assignments.get(id)!;
      a.status = 'replaced';
      this.changed(a);
      if (this.replacementsUsed < this.input.review.maxReplacements) this.replacementsUsed++;
      else this.seatsGivenUp++;
    }
  }

  /** The round is over when every seat has scored, or nobody is left who could. */
  get isComplete(): boolean {
    const submitted = this.count('submitted');
    return submitted >= this.input.review.panelSize || this.pending().length === 0;
  }

  finish(): ReviewOutcome {
    const totals = [...this.assignments.values()].filter((a) => a.status === 'submitted').map((a) => a.total!);
    const conflicted = [...this.assignments.values()].filter((a) => a.status === 'recused').map((a) => a.reviewerId);
    const { quorum, passScore, aggregation } = this.input.review;
    if (totals.length < quorum) {
      this.result = { outcome: 'no_quorum', aggregate: null, submitted: totals.length, conflicted };
    } else {
      const score = aggregate(totals, aggregation);
      this.result = { outcome: score >= passScore ? 'pass' : 'fail', aggregate: score, submitted: totals.length, conflicted };
    }
    return this.result;
  }

  view(): ReviewRoundView {
    return {
      round: this.input.round,
      assignments: [...this.assignments.values()].map(shown),
      replacementsUsed: this.replacementsUsed,
      escalated: this.escalatedToOfficer,
      outcome: this.result,
    };
  }

  private pending(): Assignment[] {
    return [...this.assignments.values()].filter((a) => a.status === 'assigned' || a.status === 'accepted');
  }

  private count(status: AssignmentView['status']): number {
    return [...this.assignments.values()].filter((a) => a.status === status).length;
  }

  private timesFor(a: Assignment): number[] {
    const { review, timeScale } = this.input;
    const due = new Date(a.dueAt).getTime();
    const times = review.reminderDaysBefore
      .filter((d) => !a.remindersSent.includes(d) && !a.remindersMissed.includes(d))
      .map((d) => due - (d * DAY_MS) / timeScale);
    if (!a.escalated) times.push(due);
    times.push(due + (review.replaceSilentAfterDays * DAY_MS) / timeScale);
    return times;
  }

  private missedReminders(a: Assignment, now: Date): number[] {
    if (now.getTime() < new Date(a.dueAt).getTime()) return [];
    return this.input.review.reminderDaysBefore.filter((d) => !a.remindersSent.includes(d) && !a.remindersMissed.includes(d));
  }

  private changed(a: Assignment): void {
    a.rev++;
    const assignment = shown(a);
    this.emit({
      type: 'assignment',
      caseId: this.input.caseId,
      id: `${this.workflowId}:${a.reviewerId}`,
      round: this.input.round,
      rev: a.rev,
      assignment,
    });
  }

  private audit(action: string, cmd: DeclareConflictCommand | SubmitScoreCommand, reason?: string, detail?: Record<string, unknown>) {
    const a = this.assignments.get(cmd.actor.id)!;
    this.emit({
      type: 'audit',
      caseKind: this.input.caseKind,
      key: `${this.workflowId}:${a.reviewerId}:${action}`,
      caseId: this.input.caseId,
      actor: cmd.actor,
      action,
      reason,
      requestId: cmd.requestId,
      detail: { round: this.input.round, ...detail },
    });
  }
}
