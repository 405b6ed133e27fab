import { log } from '@temporalio/activity';
import { isWorkday } from 'chinese-days';
import { DAY_MS } from '../shared';

const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;

/** The Shanghai calendar date (YYYY-MM-DD) of an instant. */
export function shanghaiDate(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * The end of a period of `workingDays` working days by China's official calendar, holidays and
 * adjusted working days (调休) included: midnight, Shanghai time, after the last working day. The
 * first day counted is the start's own date when it is a working day.
 */
export function endOfWorkingDays(start: Date, workingDays: number): Date {
  let day = new Date(Date.parse(`${shanghaiDate(start)}T00:00:00+08:00`));
  let counted = 0;
  for (;;) {
    if (isWorkday(shanghaiDate(day))) counted++;
    day = new Date(day.getTime() + DAY_MS);
    if (counted === workingDays) return day;
  }
}

/**
 * Whether the calendar data has the State Council's arrangement for a year. New Year's Day is a
 * public holiday every year, so a year whose 1 January reads as a working day has no data (the
 * library then knows weekends only).
 */
export function hasOfficialCalendar(year: number): boolean {
  return !isWorkday(`${year}-01-01`);
}

export function calendarActivities() {
  return {
    /** When a public notice opened at `startsAt` ends; the span is compressed by the programme's timeScale. */
    async noticeEndsAt(input: { startsAt: string; workingDays: number; timeScale: number }): Promise<string> {
      const start = new Date(input.startsAt);
      const end = endOfWorkingDays(start, input.workingDays);
      for (let y = Number(shanghaiDate(start).slice(0, 4)); y <= Number(shanghaiDate(end).slice(0, 4)); y++) {
        if (!hasOfficialCalendar(y)) {
          log.warn(`No official holiday arrangement for ${y} in the calendar data: counting weekends only. Update chinese-days.`);
        }
      }
      return new Date(start.getTime() + (end.getTime() - start.getTime()) / input.timeScale).toISOString();
    },
  };
}
