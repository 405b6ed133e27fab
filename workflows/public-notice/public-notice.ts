import type {
  CaseEvent,
  FileObjectionCommand,
  ObjectionFiler,
  ObjectionView,
  PublicNoticeInput,
  PublicNoticeOutcome,
  PublicNoticeView,
  ResolveObjectionCommand,
} from '../../shared';
import { reject, requireRole } from '../lib/rules';

interface Objection extends ObjectionView {
  filer: ObjectionFiler;
  resolvedById: string | null;
  rev: number;
}

/**
 * A public notice period: real-name objections while it runs, each resolved by an officer. It cannot
 * end with an objection open; an upheld objection ends it at once and reopens the case.
 */
export class PublicNotice {
  private readonly objections: Objection[] = [];
  private endsAt: Date | null = null;
  private result: PublicNoticeOutcome | null = null;

  /**
   * @param id the notice's own id, keying its events and objections: its child workflow's id, or the
   *   id the case gives it when the case runs the notice in itself
   * @param host the workflow that takes the objection actions: the child itself, or the case
   */
  constructor(
    private readonly input: PublicNoticeInput,
    private readonly id: string,
    private readonly host: string,
    readonly startsAt: Date,
    private readonly emit: (...e: CaseEvent[]) => void,
  ) {}

  get workingDays(): number {
    return this.input.workingDays;
  }

  get timeScale(): number {
    return this.input.timeScale;
  }

  open(endsAt: Date): void {
    this.endsAt = endsAt;
    this.emit({
      type: 'audit',
      caseKind: this.input.caseKind,
      key: `${this.id}:opened`,
      caseId: this.input.caseId,
      actor: null,
      action: 'notice.opened',
      detail: { subject: this.input.subject, startsAt: this.startsAt.toISOString(), endsAt: endsAt.toISOString() },
    });
  }

  get closesAt(): Date | null {
    return this.endsAt;
  }

  get openObjections(): number {
    return this.objections.filter((o) => o.status === 'open').length;
  }

  get upheld(): boolean {
    return this.objections.some((o) => o.status === 'upheld');
  }

  validateFile(cmd: FileObjectionCommand, now: Date): void {
    // The period runs from the start; its end may still be being computed, which is no reason to refuse.
    if (this.result || (this.endsAt && now >= this.endsAt)) reject('DeadlinePassed', 'The notice period is over');
    const { name, idMasked, idHash, contact } = cmd.filer;
    // Real-name objections only: anonymous ones are not accepted.
    if (!name?.trim() || !idMasked || !idHash || !contact?.trim()) {
      reject('InvalidAction', 'Objections must give the filer’s real name, identity number and contact');
    }
    if (!cmd.text?.trim()) reject('InvalidAction', 'Say what the objection is');
  }

  /**
   * The same objection again (same person, same text) — a double click, a retried request — is
   * refused rather than filed twice. Checked when the update arrives only: validators do not run on
   * replay, so a history that accepted a repeat before this check replays as it was.
   */
  validateNotRepeated(cmd: FileObjectionCommand): void {
    const text = cmd.text?.trim();
    if (this.objections.some((o) => o.filer.idHash === cmd.filer.idHash && o.text === text)) {
      reject('AlreadyDone', 'This objection is already on file');
    }
  }

  file(cmd: FileObjectionCommand, now: Date): Objection {
    this.validateFile(cmd, now);
    const o: Objection = {
      id: `${this.id}:objection:${this.objections.length + 1}`,
      filerName: cmd.filer.name.trim(),
      filedAt: now.toISOString(),
      text: cmd.text.trim(),
      status: 'open',
      resolution: null,
      action: null,
      filer: cmd.filer,
      resolvedById: null,
      rev: 0,
    };
    this.objections.push(o);
    this.changed(o);
    this.emit({
      type: 'notify',
      key: `${o.id}:filed`,
      caseId: this.input.caseId,
      to: { role: 'officer' },
      kind: 'notice.objection',
      message: `A real-name objection was filed against the ${this.input.subject} notice`,
    });
    return o;
  }

  validateResolve(cmd: ResolveObjectionCommand): void {
    requireRole(cmd, 'officer');
    const o = this.objections.find((x) => x.id === cmd.objectionId);
    if (!o) reject('InvalidAction', `No objection ${cmd.objectionId} on this notice`);
    if (o.status !== 'open') reject('AlreadyDone', 'The objection is already resolved');
    if (this.result) reject('WrongStage', 'The notice is over');
    if (cmd.resolution === 'upheld' && !cmd.action) reject('InvalidAction', 'Say what an upheld objection does: back_to_review or reject');
    if (!cmd.reason?.trim()) reject('InvalidAction', 'Give the reason for the resolution');
  }

  resolve(cmd: ResolveObjectionCommand): void {
    this.validateResolve(cmd);
    const o = this.objections.find((x) => x.id === cmd.objectionId)!;
    o.status = cmd.resolution;
    o.resolution = cmd.reason;
    o.action = cmd.resolution === 'upheld' ? cmd.action! : null;
    o.resolvedById = cmd.actor.id;
    this.changed(o);
    this.emit({
      type: 'audit',
      caseKind: this.input.caseKind,
      key: `${o.id}:resolved`,
      caseId: this.input.caseId,
      actor: cmd.actor,
      action: `notice.objection_${cmd.resolution}`,
      reason: cmd.reason,
      requestId: cmd.requestId,
      detail: { objectionId: o.id, action: o.action },
    });
  }

  finish(): PublicNoticeOutcome {
    const upheld = this.objections.find((o) => o.status === 'upheld');
    this.result = upheld
      ? { outcome: 'upheld', action: upheld.action, objectionId: upheld.id }
      : { outcome: 'clear', action: null, objectionId: null };
    return this.result;
  }

  view(): PublicNoticeView {
    return {
      subject: this.input.subject,
      startsAt: this.startsAt.toISOString(),
      endsAt: this.endsAt?.toISOString() ?? null,
      objections: this.objections.map(({ filer: _f, resolvedById: _r, rev: _v, ...o }) => ({ ...o })),
      outcome: this.result,
    };
  }

  private changed(o: Objection): void {
    o.rev++;
    const { filer, resolvedById, rev, ...objection } = o;
    this.emit({ type: 'objection', caseId: this.input.caseId, noticeId: this.id, workflowId: this.host, rev, objection, filer, resolvedById });
  }
}
