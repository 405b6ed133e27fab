import { CancellationScope, allHandlersFinished, condition, patched, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import {
  type ReviewOutcome,
  type ReviewRoundInput,
  declareConflictUpdate,
  msUntil,
  reviewRoundViewQuery,
  submitScoreUpdate,
} from '../../shared';
import { business } from '../lib/activities';
import { Projector } from '../lib/projector';
import { ReviewRound } from './review-round';

/**
 * From this patch on, a round keeps its timer while the moment it must wake stands. It used to
 * cancel the timer and start it again at every declaration and score (two history events and a
 * timer on the server each time: 7 of each in a recorded round of ten updates), though a panel's
 * seats share their deadlines. Rounds that began before the patch keep re-arming on replay.
 */
export const ROUND_KEEPS_TIMER_PATCH = 'review-round-keeps-its-timer';

/**
 * From this patch on, a reminder the round first sees after the deadline is dropped (see
 * ReviewRound.hasMissedReminders). Before it, the missed reminder's moment stayed the round's next
 * wake-up, already past: the round woke again at once, a 1-ms timer and a workflow task each time,
 * until the reviewer acted or was replaced. Rounds that did so keep doing so on replay.
 */
export const ROUND_DROPS_MISSED_REMINDERS_PATCH = 'review-round-drops-missed-reminders';

/** One timer for the next moment the round must wake: kept while that moment stands, replaced when it moves. */
class WakeTimer {
  private at: number | null = null;
  private scope: CancellationScope | null = null;
  fired = false;

  set(wake: Date | null): void {
    const at = wake?.getTime() ?? null;
    if (at === this.at && !this.fired) return;
    this.scope?.cancel();
    this.scope = null;
    this.at = at;
    this.fired = false;
    if (wake === null) return;
    const scope = new CancellationScope();
    this.scope = scope;
    // A timer replaced before it fires is cancelled: its rejection is expected and dropped.
    scope.run(() => sleep(msUntil(wake, Date.now()))).then(
      () => {
        if (this.scope === scope) this.fired = true;
      },
      () => undefined,
    );
  }
}

/**
 * An expert review round, as a child workflow any case can run: draws a panel from the pool by
 * field, replaces recused and silent reviewers, reminds and escalates, and aggregates the scores.
 */
export async function reviewRoundWorkflow(input: ReviewRoundInput): Promise<ReviewOutcome> {
  const { workflowId } = workflowInfo();
  const projector = new Projector();
  const round = new ReviewRound(input, workflowId, projector.emit);
  // The loop used to clear one `changed` flag at its top: a declaration or score that came while it
  // was projecting (a recusal, say) was cleared unseen and its vacancy left until the next timer.
  // Rounds that began before this patch keep that behaviour on replay; new ones count changes.
  const countChanges = patched('review-round-counts-changes');
  const timer = patched(ROUND_KEEPS_TIMER_PATCH) ? new WakeTimer() : null;
  let changed = false;
  let changes = 0;
  let seen = 0;

  setHandler(
    declareConflictUpdate,
    async (cmd) => {
      round.declare(cmd);
      changed = true;
      changes += 1;
      await projector.flush();
      return round.view();
    },
    { validator: (cmd) => round.validateDeclare(cmd) },
  );
  setHandler(
    submitScoreUpdate,
    async (cmd) => {
      round.score(cmd, new Date());
      changed = true;
      changes += 1;
      await projector.flush();
      return round.view();
    },
    { validator: (cmd) => round.validateScore(cmd) },
  );
  setHandler(reviewRoundViewQuery, () => round.view());

  const draw = async (count: number, purpose: string) => {
    if (count <= 0) return;
    const ids = await business.drawReviewers({
      caseId: input.caseId,
      field: input.field,
      count,
      exclude: round.excluded,
      seed: `${workflowId}:${purpose}`,
    });
    round.assign(ids, new Date());
  };

  await draw(input.review.panelSize, 'panel');
  await projector.flush();

  let draws = 0;
  while (!round.isComplete) {
    const wake = round.nextWake();
    if (!countChanges) changed = false;
    const moved = () => (countChanges ? changes !== seen : changed) || round.isComplete;
    if (timer) {
      timer.set(wake);
      await condition(() => moved() || timer.fired);
    } else if (wake) await condition(moved, msUntil(wake, Date.now()));
    else await condition(moved);
    seen = changes;
    const now = new Date();
    round.removeSilent(round.tick(now));
    // Asked only when it happens, so that no other round records the patch.
    if (round.hasMissedReminders(now) && patched(ROUND_DROPS_MISSED_REMINDERS_PATCH)) round.dropMissedReminders(now);
    if (round.vacancies > 0) await draw(round.vacancies, `replacement-${++draws}`);
    await projector.flush();
  }

  const outcome = round.finish();
  await condition(allHandlersFinished);
  await projector.flush();
  return outcome;
}
