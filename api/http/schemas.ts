import { z } from 'zod';

/** Money: a whole number of fen (1/100 yuan), never a float. */
export const fen = z
  .number()
  .int('Amounts are whole numbers of fen')
  .nonnegative()
  .max(Number.MAX_SAFE_INTEGER);

/**
 * A date-time with an explicit offset, e.g. 2026-03-01T00:00:00+08:00, in years 1970 to 2099. zod
 * already refuses impossible calendar dates (2026-02-30); the year range keeps out instants no
 * programme can mean (0000, 9999) that would still parse.
 */
export const isoDateTime = z.iso
  .datetime({ offset: true })
  .refine((s) => {
    const year = new Date(s).getUTCFullYear();
    return year >= 1970 && year <= 2099;
  }, 'Use a date between 1970 and 2099');

/** The same, as a Date. */
export const instant = isoDateTime.transform((s) => new Date(s));

/**
 * A whole number in a query string: digits only. z.coerce.number() would also take '', ' 12 ',
 * '1e3' and '0x10' (as 0, 12, 1000 and 16).
 */
export function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, 'A whole number, in digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

export const idParams = z.strictObject({ id: z.uuid() });

export const pageQuery = {
  limit: queryInt(1, 200).default(50),
  cursor: z.uuid().optional(),
};

