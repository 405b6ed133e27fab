import { condition, setHandler } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { type PublicNoticeOutcome, fileObjectionUpdate, msUntil, publicNoticeViewQuery, resolveObjectionUpdate } from '../../shared';
import { reject } from '../lib/rules';
import type { PublicNotice } from './public-notice';

/**
 * The objection updates and the view query of a public notice, on whichever workflow holds it: the
 * notice's own child workflow, or the case that runs it in itself. `current` is the notice running
 * now; with none, an action is refused before it enters history.
 */
export function setPublicNoticeHandlers(current: () => PublicNotice | null, flush: () => Promise<void>): void {
  const running = (): PublicNotice => current() ?? reject('WrongStage', 'No public notice is running for this case');
  setHandler(
    fileObjectionUpdate,
    async (cmd) => {
      const notice = running();
      notice.file(cmd, new Date());
      await flush();
      return notice.view();
    },
    {
      validator: (cmd) => {
        const notice = running();
        notice.validateFile(cmd, new Date());
        notice.validateNotRepeated(cmd);
      },
    },
  );
  setHandler(
    resolveObjectionUpdate,
    async (cmd) => {
      const notice = running();
      notice.resolve(cmd);
      await flush();
      return notice.view();
    },
    { validator: (cmd) => running().validateResolve(cmd) },
  );
  setHandler(publicNoticeViewQuery, () => running().view());
}

/**
 * Runs a notice period to its end: N working days by the official calendar (调休 included, so the
 * end is computed in an activity, `noticeEndsAt`: an ordinary one in the child workflows, which
 * began so, a local one in a case), objections taken meanwhile; an upheld one ends it at once, and
 * it cannot end with one open.
 */
export async function runPublicNotice(
  notice: PublicNotice,
  flush: () => Promise<void>,
  noticeEndsAt: Activities['noticeEndsAt'],
): Promise<PublicNoticeOutcome> {
  const endsAt = await noticeEndsAt({
    startsAt: notice.startsAt.toISOString(),
    workingDays: notice.workingDays,
    timeScale: notice.timeScale,
  });
  notice.open(new Date(endsAt));
  await flush();

  await condition(() => notice.upheld, msUntil(endsAt, Date.now()));
  // The period is over (or an objection was upheld); open objections must be resolved first.
  await condition(() => notice.upheld || notice.openObjections === 0);
  return notice.finish();
}
