import { allHandlersFinished, condition, workflowInfo } from '@temporalio/workflow';
import type { MilestoneCheckInput, MilestoneCheckResult } from '../../shared';
import { Projector } from '../lib/projector';
import { MilestoneCheck } from './milestone-check';
import { runMilestoneCheck, setMilestoneCheckHandlers } from './run-milestone-check';

/**
 * A milestone check (中期评估, 验收) as a child workflow of the case: how stations, and fund cases
 * that began before they ran their checks in themselves, run them (see HOSTED_STEPS_PATCH).
 */
export async function milestoneCheckWorkflow(input: MilestoneCheckInput): Promise<MilestoneCheckResult> {
  const { workflowId } = workflowInfo();
  const projector = new Projector();
  const check = new MilestoneCheck(input, workflowId, workflowId, projector.emit);
  setMilestoneCheckHandlers(() => check, projector.flush);

  const result = await runMilestoneCheck(check, projector.flush);
  await condition(allHandlersFinished);
  await projector.flush();
  return result;
}
