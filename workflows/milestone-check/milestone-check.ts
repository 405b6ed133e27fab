import type {
  CaseEvent,
  MilestoneCheckInput,
  MilestoneCheckResult,
  MilestoneCheckView,
  RecordScoreCommand,
  SubmitReportCommand,
} from '../../shared';
import { DAY_MS } from '../../shared';
import { reject, requireRole } from '../lib/rules';

/**
 * One milestone check: the report due with reminders, escalation when overdue, a no-show after the
 * grace period, then the expert score recorded by an officer.
 */
export class MilestoneCheck {
  private status: MilestoneCheckView['status'] = 'awaiting_report';
  private reportedAt: string | null = null;
  private summary: string | null = null;
  private scoreGiven: number | null = null;
  private rev = 0;
  private readonly remindersSent: number[] = [];

  /**
   * @param id the check's own id, keying its row and events: its child workflow's id, or the id the
   *   case gives it when the case runs the check in itself
   * @param host the workflow that takes the check's report and score: the child itself, or the case
   */
  constructor(
    private readonly input: MilestoneCheckInput,
    private readonly id: string,
    private readonly host: string,
    private readonly emit: (...e: CaseEvent[]) => void,
  ) {}

  get dueAt(): Date {
    return new Date(this.input.dueAt);
  }

  get noShowAt(): Date {
    return new Date(this.dueAt.getTime() + (this.input.milestone.graceDays * DAY_MS) / this.input.timeScale);
  }

  get reported(): boolean {
    return this.reportedAt !== null;
  }

  get scored(): boolean {
    return this.scoreGiven !== null;
  }

  start(): void {
    this.changed();
    this.notifyApplicant('due', `The ${this.input.milestone.label} report is due`);
  }

  /** Reminder times not yet reached, soonest first. */
  nextReminder(): Date | null {
    const due = this.dueAt.getTime();
    const times = this.input.milestone.reminderDaysBefore
      .filter((d) => !this.remindersSent.includes(d))
      .map((d) => due - (d * DAY_MS) / this.input.timeScale);
    return times.length ? new Date(Math.min(...times)) : null;
  }

  /**
   * Whether reminders are due that the check first sees once the report itself is due (its worker
   * was down through their moments): sent then, each would tell of a report "due in N days" that is
   * already due.
   */
  hasLateReminders(now: Date): boolean {
    return now >= this.dueAt && this.dueReminders(now).length > 0;
  }

  /** Counts late reminders as done without sending them; the overdue notice follows. */
  dropLateReminders(now: Date): void {
    this.remindersSent.push(...this.dueReminders(now));
  }

  private dueReminders(now: Date): number[] {
    const due = this.dueAt.getTime();
    return this.input.milestone.reminderDaysBefore.filter((d) => !this.remindersSent.includes(d) && now.getTime() >= due - (d * DAY_MS) / this.input.timeScale);
  }

  remind(now: Date): void {
    for (const d of this.dueReminders(now)) {
      this.remindersSent.push(d);
      if (!this.reported) this.notifyApplicant(`reminder:${d}`, `The ${this.input.milestone.label} report is due in ${d} day(s)`);
    }
  }

  overdue(): void {
    this.status = 'overdue';
    this.changed();
    this.notifyApplicant('overdue', `The ${this.input.milestone.label} report is overdue`);
    this.emit({
      type: 'notify',
      key: `${this.id}:escalated`,
      caseId: this.input.caseId,
      to: { role: 'officer' },
      kind: 'milestone.overdue',
      message: `A ${this.input.milestone.label} report is overdue`,
      dueAt: this.noShowAt.toISOString(),
    });
  }

  validateReport(cmd: SubmitReportCommand): void {
    requireRole(cmd, 'applicant');
    if (cmd.actor.id !== this.input.reporterId) reject('NotYourCase', 'Only the applicant of this case may report');
    if (this.reported) reject('AlreadyDone', 'The report has already been submitted');
    if (this.status === 'no_show') reject('DeadlinePassed', 'The report was not submitted in time');
    if (!cmd.summary?.trim()) reject('InvalidAction', 'The report needs a summary');
  }

  report(cmd: SubmitReportCommand, now: Date): void {
    this.validateReport(cmd);
    this.reportedAt = now.toISOString();
    this.summary = cmd.summary.trim();
    this.status = 'awaiting_score';
    this.changed();
    this.emit({
      type: 'notify',
      key: `${this.id}:reported`,
      caseId: this.input.caseId,
      to: { role: 'officer' },
      kind: 'milestone.reported',
      message: `The ${this.input.milestone.label} report is in; record the expert score`,
    });
    this.audit('milestone.reported', cmd);
  }

  validateScore(cmd: RecordScoreCommand): void {
    requireRole(cmd, 'officer');
    if (!this.reported) reject('WrongStage', 'No report has been submitted yet');
    if (this.scored) reject('AlreadyDone', 'The score has already been recorded');
    if (!Number.isFinite(cmd.score) || cmd.score < 0 || cmd.score > 100) reject('InvalidAction', 'A score runs from 0 to 100');
  }

  score(cmd: RecordScoreCommand): void {
    this.validateScore(cmd);
    this.scoreGiven = cmd.score;
    this.status = 'scored';
    this.changed();
    this.audit('milestone.scored', cmd, { score: cmd.score });
  }

  noShow(): void {
    this.status = 'no_show';
    this.changed();
  }

  result(): MilestoneCheckResult {
    return this.status === 'no_show'
      ? { outcome: 'no_show', score: null, passed: false }
      : { outcome: 'scored', score: this.scoreGiven, passed: (this.scoreGiven ?? 0) >= this.input.milestone.passScore };
  }

  view(): MilestoneCheckView {
    return {
      code: this.input.milestone.code,
      attempt: this.input.attempt,
      dueAt: this.input.dueAt,
      status: this.status,
      reportedAt: this.reportedAt,
      score: this.scoreGiven,
    };
  }

  private changed(): void {
    this.emit({
      type: 'milestone',
      caseId: this.input.caseId,
      id: this.id,
      workflowId: this.host,
      rev: ++this.rev,
      milestone: this.view(),
      reportSummary: this.summary,
    });
  }

  private notifyApplicant(purpose: string, message: string): void {
    this.emit({
      type: 'notify',
      key: `${this.id}:${purpose}`,
      caseId: this.input.caseId,
      to: { userId: this.input.reporterId },
      kind: 'milestone.report_due',
      message,
      dueAt: this.input.dueAt,
    });
  }

  private audit(action: string, cmd: SubmitReportCommand | RecordScoreCommand, detail?: Record<string, unknown>) {
    this.emit({
      type: 'audit',
      caseKind: this.input.caseKind,
      key: `${this.id}:${action}`,
      caseId: this.input.caseId,
      actor: cmd.actor,
      action,
      requestId: cmd.requestId,
      detail: { milestone: this.input.milestone.code, attempt: this.input.attempt, ...detail },
    });
  }
}
