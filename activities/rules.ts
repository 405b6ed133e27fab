import { createHash } from 'node:crypto';
import type { PrismaClient } from '../infra/db';
import type { ReadStore } from '../infra/read-store';
import type { ApplicationSnapshot, ProgrammeConfig } from '../shared';
import { commitAward, payTranche, settleCase, type CommitInput, type PayInput, type SettleInput } from '../money/ledger';

/**
 * Activities that decide from data: eligibility, drawing reviewers, and the money operations. The
 * reads are plain SQL through the read store: the draw filtered the whole reviewer pool in
 * JavaScript after a Prisma model query, ~14 ms of CPU a draw with 5,000 reviewers, where selecting
 * the field's 1,250 in SQL and ranking them takes ~3 ms (ad hoc, bench database).
 */
export function ruleActivities(prisma: PrismaClient, reads: ReadStore) {
  return {
    async checkEligibility(input: {
      applicantId: string;
      application: ApplicationSnapshot;
      rules: ProgrammeConfig['eligibility'] & { maxAwardFen?: number };
    }): Promise<{ passed: boolean; failures: string[] }> {
      const { application: a, rules } = input;
      const failures: string[] = [];
      if (rules.fields.length > 0 && !rules.fields.includes(a.field)) {
        failures.push(`The field '${a.field}' is not one the programme funds (${rules.fields.join(', ')})`);
      }
      if (rules.maxAwardFen !== undefined && a.requestedFen > rules.maxAwardFen) {
        failures.push(`The amount requested exceeds the highest tier (${rules.maxAwardFen} fen)`);
      }
      if (a.summaryLength < rules.minSummaryLength) failures.push(`The summary is shorter than ${rules.minSummaryLength} characters`);
      if (!a.unitName.trim()) failures.push('No host unit is named');
      if (rules.refuseCreditDowngrades) {
        const names = [a.unitName, ...a.members].filter((n) => n.trim());
        const records = await reads.all<{ subjectKind: string; subjectName: string }>(
          `SELECT "subjectKind", "subjectName" FROM "CreditRecord" WHERE "subjectUserId" = ?${names.length > 0 ? ` OR "subjectName" IN (${names.map(() => '?').join(', ')})` : ''} ORDER BY "id"`,
          [input.applicantId, ...names],
        );
        for (const r of records) failures.push(`A credit downgrade is on record for the ${r.subjectKind} ${r.subjectName}`);
      }
      return { passed: failures.length === 0, failures };
    },

    /**
     * Draws reviewers of the field from the pool, skipping `exclude`. The ranking is a hash of the
     * seed and the reviewer, so a retried draw gives the same panel.
     */
    async drawReviewers(input: { caseId: string; field: string; count: number; exclude: string[]; seed: string }): Promise<string[]> {
      const pool = await reads.all<{ id: string }>(
        `SELECT "id" FROM "User" WHERE "role" = 'reviewer' AND "disabledAt" IS NULL AND ${reads.json.arrayHas('"expertise"')}`,
        [input.field],
      );
      const excluded = new Set(input.exclude);
      const rank = (id: string) => createHash('sha256').update(`${input.seed}:${id}`).digest('hex');
      return pool
        .filter((r) => !excluded.has(r.id))
        .map((r) => ({ id: r.id, rank: rank(r.id) }))
        .sort((a, b) => a.rank.localeCompare(b.rank))
        .slice(0, input.count)
        .map((r) => r.id);
    },

    commitAward: (input: CommitInput) => commitAward(prisma, input),
    payTranche: (input: PayInput) => payTranche(prisma, input),
    settleCase: (input: SettleInput) => settleCase(prisma, input),
  };
}
