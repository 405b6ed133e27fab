import { createHash, randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { PrismaReadStore, type ReadStore, createReadStore } from '../../infra/read-store';
import type { ApplicationSnapshot } from '../../shared';
import { type TestDatabase, freshDatabase } from '../helpers/db';

let db: TestDatabase;
let stores: ReadStore[];
beforeAll(() => {
  db = freshDatabase();
  // The store the process uses for this database (its own connection on SQLite), and plain SQL
  // through Prisma, which activities fall back to: each dialect's SQL on either database.
  stores = [createReadStore(db.url, db.prisma), new PrismaReadStore(db.prisma)];
});
afterAll(async () => {
  for (const s of stores) s.close();
  await db.close();
});

const env = () => new MockActivityEnvironment();

async function user(role: string, expertise: string[] | null, disabled = false): Promise<string> {
  const u = await db.prisma.user.create({
    data: { email: `${randomUUID()}@rules.test`, displayName: 'R', role, expertise: expertise ?? undefined, disabledAt: disabled ? new Date() : null },
  });
  return u.id;
}

const ranked = (seed: string, ids: string[]) =>
  ids
    .map((id) => ({ id, rank: createHash('sha256').update(`${seed}:${id}`).digest('hex') }))
    .sort((a, b) => a.rank.localeCompare(b.rank))
    .map((r) => r.id);

describe('drawReviewers', () => {
  it('draws active reviewers of the field only, less the excluded, in the seed’s order, on either read path', async () => {
    const field = `field-${randomUUID().slice(0, 8)}`;
    const eligible = [await user('reviewer', [field]), await user('reviewer', ['other', field]), await user('reviewer', [field, 'x'])];
    const excluded = await user('reviewer', [field]);
    // Not drawn: another field, a field whose name contains this one, no expertise, disabled, not a reviewer.
    await user('reviewer', ['other']);
    await user('reviewer', [`${field}-plus`]);
    await user('reviewer', null);
    await user('reviewer', [field], true);
    await user('officer', [field]);

    for (const reads of stores) {
      const { drawReviewers } = createActivities({ prisma: db.prisma, reads });
      const draw = (count: number, seed: string): Promise<string[]> => env().run(drawReviewers, { caseId: 'c', field, count, exclude: [excluded], seed });
      expect(await draw(10, 'seed-1')).toEqual(ranked('seed-1', eligible));
      expect(await draw(2, 'seed-1')).toEqual(ranked('seed-1', eligible).slice(0, 2));
      // The same seed draws the same panel (a retried activity); another seed ranks afresh.
      expect(await draw(2, 'seed-1')).toEqual(await draw(2, 'seed-1'));
      expect(await draw(10, 'seed-2')).toEqual(ranked('seed-2', eligible));
    }
  });
});

describe('checkEligibility', () => {
  const rules = { fields: [], minSummaryLength: 10, refuseCreditDowngrades: true };
  const application = (unitName: string, members: string[]): ApplicationSnapshot => ({ title: 'T', field: 'ai', requestedFen: 1, summaryLength: 100, unitName, members, leadName: 'Lead' });

  it('refuses on a credit downgrade of the applicant, the unit or a member, and passes a clean application', async () => {
    const applicantId = await user('applicant', null);
    const unit = `Unit ${randomUUID()}`;
    const member = `Member ${randomUUID()}`;
    const record = (id: string, kind: string, name: string, userId: string | null) =>
      db.prisma.creditRecord.create({ data: { id, caseId: 'old', subjectKind: kind, subjectName: name, subjectUserId: userId, consequence: 'downgrade', reason: 'r', at: new Date() } });
    await record(`old:lead:${applicantId}`, 'lead', 'Someone Else', applicantId);
    await record(`old:member:${member}`, 'member', member, null);
    await record(`old:unit:${unit}`, 'unit', unit, null);

    for (const reads of stores) {
      const { checkEligibility } = createActivities({ prisma: db.prisma, reads });
      const check = (who: string, a: ApplicationSnapshot): Promise<{ passed: boolean; failures: string[] }> => env().run(checkEligibility, { applicantId: who, application: a, rules });

      const all = await check(applicantId, application(unit, [member, '  ']));
      expect(all.passed).toBe(false);
      // In the records' order (by id: <case>:<kind>:<subject>).
      expect(all.failures).toEqual([
        'A credit downgrade is on record for the lead Someone Else',
        `A credit downgrade is on record for the member ${member}`,
        `A credit downgrade is on record for the unit ${unit}`,
      ]);
      const clean = await user('applicant', null);
      expect(await check(clean, application(`Clean ${randomUUID()}`, []))).toEqual({ passed: true, failures: [] });
      // No names at all (a blank unit is its own failure): the applicant is still looked up.
      const blank = await check(applicantId, application(' ', []));
      expect(blank.failures).toEqual(['No host unit is named', 'A credit downgrade is on record for the lead Someone Else']);
    }
  });
});
