import { allHandlersFinished, condition, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  type PublicNoticeInput,
  type PublicNoticeOutcome,
  fileObjectionUpdate,
  msUntil,
  publicNoticeViewQuery,
  resolveObjectionUpdate,
} from '../../shared';
import { business } from '../lib/activities';
import { Projector } from '../lib/projector';
import { PublicNotice } from './public-notice';

/** A public notice (公示) of N working days by the official calendar, as a child workflow. */
export async function publicNoticeWorkflow(input: PublicNoticeInput): Promise<PublicNoticeOutcome> {
  const { workflowId } = workflowInfo();
  const projector = new Projector();
  const notice = new PublicNotice(input, workflowId, new Date(), projector.emit);

  setHandler(
    fileObjectionUpdate,
    async (cmd) => {
      notice.file(cmd, new Date());
      await projector.flush();
      return notice.view();
    },
    {
      validator: (cmd) => {
        notice.validateFile(cmd, new Date());
        notice.validateNotRepeated(cmd);
      },
    },
  );
  setHandler(
    resolveObjectionUpdate,
    async (cmd) => {
      notice.resolve(cmd);
      await projector.flush();
      return notice.view();
    },
    { validator: (cmd) => notice.validateResolve(cmd) },
  );
  setHandler(publicNoticeViewQuery, () => notice.view());

  // Working days follow the official calendar (调休 included), so the end is computed in an activity.
  const endsAt = await business.noticeEndsAt({
    startsAt: new Date().toISOString(),
    workingDays: input.workingDays,
    timeScale: input.timeScale,
  });
  notice.open(new Date(endsAt));
  await projector.flush();

  await condition(() => notice.upheld, msUntil(endsAt, Date.now()));
  // The period is over (or an objection was upheld); open objections must be resolved first.
  await condition(() => notice.upheld || notice.openObjections === 0);
  const outcome = notice.finish();
  await condition(allHandlersFinished);
  await projector.flush();
  return outcome;
}
