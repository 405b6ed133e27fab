import { z } from 'zod';

/** Money: a whole number of fen (1/100 yuan), never a float. */
export const fen = z
  .number()
  .int('Amounts are whole numbers of fen')
  .nonnegative()
  .max(Number.MAX_SAFE_INTEGER);

/** An instant with an explicit offset, e.g. 2026-03-01T00:00:00+08:00. */
export const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const idParams = z.strictObject({ id: z.uuid() });

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.uuid().optional(),
};
