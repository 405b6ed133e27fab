import { ApplicationFailure } from '@temporalio/workflow';
import {
  type ActionContext,
  type ApplicationStage,
  type ApplicationView,
  type ApplicationWorkflowInput,
  type BusinessProblemCode,
  type StageChange,
  type SubmitCommand,
  type WithdrawCommand,
  FINAL_STAGES,
  WITHDRAWABLE_STAGES,
} from '../../shared';

function reject(code: BusinessProblemCode, message: string): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

/**
 * The transitions of one application case. Pure and deterministic: time is passed in, effects are
 * returned as stage changes for the workflow to record.
 */
export class ApplicationCase {
  private stage: ApplicationStage = 'draft';
  private seq = 0;
  private submittedAt: string | null = null;
  private readonly history: Array<{ stage: ApplicationStage; at: string }> = [];

  constructor(private readonly input: ApplicationWorkflowInput) {}

  get currentStage(): ApplicationStage {
    return this.stage;
  }

  get isFinal(): boolean {
    return FINAL_STAGES.includes(this.stage);
  }

  get callClosesAt(): Date {
    return new Date(this.input.programme.closesAt);
  }

  validateSubmit(cmd: SubmitCommand, now: Date): void {
    this.requireApplicant(cmd);
    if (this.stage !== 'draft') reject('WrongStage', `The application is already ${this.stage}`);
    const { opensAt, closesAt } = this.input.programme;
    if (now < new Date(opensAt)) reject('CallNotOpen', `The call opens at ${opensAt}`);
    if (now >= new Date(closesAt)) reject('CallNotOpen', `The call closed at ${closesAt}`);
  }

  submit(cmd: SubmitCommand, now: Date): StageChange {
    this.validateSubmit(cmd, now);
    this.submittedAt = now.toISOString();
    return this.moveTo('submitted', now, cmd);
  }

  validateWithdraw(cmd: WithdrawCommand): void {
    this.requireApplicant(cmd);
    if (!WITHDRAWABLE_STAGES.includes(this.stage)) {
      reject('WrongStage', `An application cannot be withdrawn once it is ${this.stage}`);
    }
  }

  withdraw(cmd: WithdrawCommand, now: Date): StageChange {
    this.validateWithdraw(cmd);
    return this.moveTo('withdrawn', now, cmd);
  }

  /** The call has closed: submitted applications go to formal review. */
  startFormalReview(now: Date): StageChange {
    if (this.stage !== 'submitted') reject('WrongStage', `Formal review cannot start from ${this.stage}`);
    return this.moveTo('formal_review', now, null);
  }

  view(): ApplicationView {
    return {
      applicationId: this.input.applicationId,
      stage: this.stage,
      configVersion: this.input.programme.configVersion,
      submittedAt: this.submittedAt,
      next: this.next(),
      history: [...this.history],
    };
  }

  private next(): ApplicationView['next'] {
    switch (this.stage) {
      case 'draft':
        return { waitingOn: 'applicant', what: 'Submit the application', dueAt: this.input.programme.closesAt };
      case 'submitted':
        return { waitingOn: 'system', what: 'Formal review starts when the call closes', dueAt: this.input.programme.closesAt };
      case 'formal_review':
        return { waitingOn: 'officer', what: 'Formal review of eligibility and completeness', dueAt: null };
      case 'withdrawn':
        return { waitingOn: 'nobody', what: 'Withdrawn by the applicant', dueAt: null };
    }
  }

  private requireApplicant(cmd: ActionContext): void {
    if (cmd.actor.role !== 'applicant' || cmd.actor.id !== this.input.applicantId) {
      reject('NotYourCase', 'Only the applicant of this case may do this');
    }
  }

  private moveTo(to: ApplicationStage, now: Date, ctx: ActionContext | null): StageChange {
    const change: StageChange = {
      seq: ++this.seq,
      from: this.stage,
      to,
      at: now.toISOString(),
      actor: ctx?.actor ?? null,
      requestId: ctx?.requestId,
      reason: ctx?.reason,
    };
    this.stage = to;
    this.history.push({ stage: to, at: change.at });
    return change;
  }
}
