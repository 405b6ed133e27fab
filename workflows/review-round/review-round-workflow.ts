import { allHandlersFinished, condition, patched, setHandler, workflowInfo } from '@temporalio/workflow';
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
    if (wake) await condition(moved, msUntil(wake, Date.now()));
    else await condition(moved);
    seen = changes;
    round.removeSilent(round.tick(new Date()));
    if (round.vacancies > 0) await draw(round.vacancies, `replacement-${++draws}`);
    await projector.flush();
  }

  const outcome = round.finish();
  await condition(allHandlersFinished);
  await projector.flush();
  return outcome;
}
