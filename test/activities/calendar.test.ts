import { MockActivityEnvironment } from '@temporalio/testing';
import { endOfWorkingDays, hasOfficialCalendar } from '../../activities/calendar';
import { createActivities } from '../../activities';
import { freshDatabase } from '../helpers/db';

describe('working days by the official calendar', () => {
  it('counts the Saturday made a working day before the 2026 Spring Festival, and skips the holiday', () => {
    // Friday 13 February 2026: 13 (Fri), 14 (Sat, adjusted working day), then 15-23 off, 24, 25, 26.
    const end = endOfWorkingDays(new Date('2026-02-13T09:00:00+08:00'), 5);
    expect(end.toISOString()).toBe(new Date('2026-02-27T00:00:00+08:00').toISOString());
  });

  it('runs a 7-working-day notice across the 2026 National Day holiday and its adjusted Saturday', () => {
    // 30 Sep (Wed) counts; 1-7 Oct off; 8, 9, 10 (Sat, adjusted), 12, 13, 14 count.
    const end = endOfWorkingDays(new Date('2026-09-30T10:00:00+08:00'), 7);
    expect(end.toISOString()).toBe(new Date('2026-10-15T00:00:00+08:00').toISOString());
  });

  it('knows which years have the official arrangement', () => {
    expect(hasOfficialCalendar(2025)).toBe(true);
    expect(hasOfficialCalendar(2026)).toBe(true);
    expect(hasOfficialCalendar(2099)).toBe(false);
  });

  it('does not count a start on a holiday', () => {
    const end = endOfWorkingDays(new Date('2026-10-03T12:00:00+08:00'), 1);
    expect(end.toISOString()).toBe(new Date('2026-10-09T00:00:00+08:00').toISOString());
  });

  it('compresses the span by the programme’s time scale', async () => {
    const db = freshDatabase();
    try {
      const { noticeEndsAt } = createActivities({ prisma: db.prisma });
      const startsAt = '2026-02-13T01:00:00.000Z';
      const real = endOfWorkingDays(new Date(startsAt), 5).getTime() - Date.parse(startsAt);
      const end = await new MockActivityEnvironment().run(noticeEndsAt, { startsAt, workingDays: 5, timeScale: 86_400 });
      expect(Date.parse(end as string) - Date.parse(startsAt)).toBeCloseTo(real / 86_400, 0);
    } finally {
      await db.close();
    }
  });
});
