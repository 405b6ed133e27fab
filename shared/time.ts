// Pure date arithmetic, safe in workflows. Programme dates are in Asia/Shanghai, which is UTC+8 all
// year (no daylight saving), so calendar months are counted on a clock shifted by eight hours.
export const DAY_MS = 24 * 60 * 60 * 1000;
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;

/** `months` calendar months after `from` in Shanghai (fractions add days of 30). */
export function addMonths(from: Date, months: number): Date {
  const whole = Math.trunc(months);
  const local = new Date(from.getTime() + SHANGHAI_OFFSET_MS);
  const day = local.getUTCDate();
  local.setUTCDate(1);
  local.setUTCMonth(local.getUTCMonth() + whole);
  const lastDay = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 0)).getUTCDate();
  local.setUTCDate(Math.min(day, lastDay));
  return new Date(local.getTime() - SHANGHAI_OFFSET_MS + (months - whole) * 30 * DAY_MS);
}

/**
 * A programme may run faster than the calendar (timeScale > 1, for demos): a nominal span from
 * `from` to `nominalEnd` then takes 1/timeScale of its length.
 */
export function compress(from: Date, nominalEnd: Date, timeScale: number): Date {
  return new Date(from.getTime() + (nominalEnd.getTime() - from.getTime()) / timeScale);
}

export function afterDays(from: Date, days: number, timeScale: number): Date {
  return new Date(from.getTime() + (days * DAY_MS) / timeScale);
}

export function afterMonths(from: Date, months: number, timeScale: number): Date {
  return compress(from, addMonths(from, months), timeScale);
}

/** Milliseconds from now until `at`, at least 1 (a zero timeout would mean none). */
export function msUntil(at: Date | string, now: number): number {
  return Math.max(1, new Date(at).getTime() - now);
}
