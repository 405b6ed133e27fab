import { condition, patched, setHandler } from '@temporalio/workflow';
import { type MilestoneCheckResult, milestoneCheckViewQuery, msUntil, recordScoreUpdate, submitReportUpdate } from '../../shared';
import { reject } from '../lib/rules';
import type { MilestoneCheck } from './milestone-check';

/**
 * The report and score updates and the view query of a milestone check, on whichever workflow holds
 * it: the check's own child workflow, or the case that runs it in itself. `current` is the check
 * running now; with none, an action is refused before it enters history.
 */
export function setMilestoneCheckHandlers(current: () => MilestoneCheck | null, flush: () => Promise<void>): void {
  const running = (): MilestoneCheck => current() ?? reject('WrongStage', 'No milestone check is running for this case');
  setHandler(
    submitReportUpdate,
    async (cmd) => {
      const check = running();
      check.report(cmd, new Date());
      await flush();
      return check.view();
    },
    { validator: (cmd) => running().validateReport(cmd) },
  );
  setHandler(
    recordScoreUpdate,
    async (cmd) => {
      const check = running();
      check.score(cmd);
      await flush();
      return check.view();
    },
    { validator: (cmd) => running().validateScore(cmd) },
  );
  setHandler(milestoneCheckViewQuery, () => running().view());
}

/**
 * From this patch on, reminders a check first sees once its report is already due (its worker down
 * through their moments) are not sent: each said the report was "due in N days" beside the overdue
 * notice. Checks that sent them keep doing so on replay.
 */
export const CHECK_DROPS_LATE_REMINDERS_PATCH = 'milestone-check-drops-late-reminders';

/**
 * Runs a check to its result: the report due with reminders before it unless it comes first,
 * escalation when overdue, a no-show after the grace period; a report waits for its score.
 */
export async function runMilestoneCheck(check: MilestoneCheck, flush: () => Promise<void>): Promise<MilestoneCheckResult> {
  check.start();
  await flush();

  for (let at = check.nextReminder(); at && at < check.dueAt && !check.reported; at = check.nextReminder()) {
    await condition(() => check.reported, msUntil(at, Date.now()));
    const now = new Date();
    // Asked only when it happens, so that no other check records the patch.
    if (check.hasLateReminders(now) && patched(CHECK_DROPS_LATE_REMINDERS_PATCH)) check.dropLateReminders(now);
    check.remind(now);
    await flush();
  }
  if (!(await condition(() => check.reported, msUntil(check.dueAt, Date.now())))) {
    check.overdue();
    await flush();
    if (!(await condition(() => check.reported, msUntil(check.noShowAt, Date.now())))) check.noShow();
  }
  if (check.reported) await condition(() => check.scored);
  return check.result();
}
