import { allHandlersFinished, condition, workflowInfo } from '@temporalio/workflow';
import type { PublicNoticeInput, PublicNoticeOutcome } from '../../shared';
import { business } from '../lib/activities';
import { Projector } from '../lib/projector';
import { PublicNotice } from './public-notice';
import { runPublicNotice, setPublicNoticeHandlers } from './run-public-notice';

/**
 * A public notice (公示) of N working days by the official calendar, as a child workflow: how cases
 * that began before they ran their notices in themselves still run them (see HOSTED_STEPS_PATCH).
 */
export async function publicNoticeWorkflow(input: PublicNoticeInput): Promise<PublicNoticeOutcome> {
  const { workflowId } = workflowInfo();
  const projector = new Projector();
  const notice = new PublicNotice(input, workflowId, workflowId, new Date(), projector.emit);
  setPublicNoticeHandlers(() => notice, projector.flush);

  const outcome = await runPublicNotice(notice, projector.flush, business.noticeEndsAt);
  await condition(allHandlersFinished);
  await projector.flush();
  return outcome;
}
