import { allHandlersFinished, condition, setHandler, workflowInfo } from '@temporalio/workflow';
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
  let changed = false;

  setHandler(
    declareConflictUpdate,
    async (cmd) => {
      round.declare(cmd);
      changed = true;
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
    changed = false;
    if (wake) await condition(() => changed || round.isComplete, msUntil(wake, Date.now()));
    else await condition(() => changed || round.isComplete);
    round.removeSilent(round.tick(new Date()));
    if (round.vacancies > 0) await draw(round.vacancies, `replacement-${++draws}`);
    await projector.flush();
  }

  const outcome = round.finish();
  await condition(allHandlersFinished);
  await projector.flush();
  return outcome;
}
