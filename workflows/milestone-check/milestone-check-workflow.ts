import { allHandlersFinished, condition, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  type MilestoneCheckInput,
  type MilestoneCheckResult,
  milestoneCheckViewQuery,
  msUntil,
  recordScoreUpdate,
  submitReportUpdate,
} from '../../shared';
import { Projector } from '../lib/projector';
import { MilestoneCheck } from './milestone-check';

/** A milestone check (中期评估, 验收) as a child workflow of the case. */
export async function milestoneCheckWorkflow(input: MilestoneCheckInput): Promise<MilestoneCheckResult> {
  const { workflowId } = workflowInfo();
  const projector = new Projector();
  const check = new MilestoneCheck(input, workflowId, projector.emit);

  setHandler(
    submitReportUpdate,
    async (cmd) => {
      check.report(cmd, new Date());
      await projector.flush();
      return check.view();
    },
    { validator: (cmd) => check.validateReport(cmd) },
  );
  setHandler(
    recordScoreUpdate,
    async (cmd) => {
      check.score(cmd);
      await projector.flush();
      return check.view();
    },
    { validator: (cmd) => check.validateScore(cmd) },
  );
  setHandler(milestoneCheckViewQuery, () => check.view());

  check.start();
  await projector.flush();

  // Reminders before the due date, unless the report comes first.
  for (let at = check.nextReminder(); at && at < check.dueAt && !check.reported; at = check.nextReminder()) {
    await condition(() => check.reported, msUntil(at, Date.now()));
    check.remind(new Date());
    await projector.flush();
  }
  if (!(await condition(() => check.reported, msUntil(check.dueAt, Date.now())))) {
    check.overdue();
    await projector.flush();
    if (!(await condition(() => check.reported, msUntil(check.noShowAt, Date.now())))) check.noShow();
  }
  if (check.reported) await condition(() => check.scored);

  await condition(allHandlersFinished);
  await projector.flush();
  return check.result();
}
