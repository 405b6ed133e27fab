import fs from 'node:fs';
import path from 'node:path';
import { newProgrammeSchema } from '../../api/use-cases/programmes';
import { programmeConfigSchema } from '../../shared/programme-config';
import { aggregate, weightedTotal } from '../../workflows/review-round/review-round';
import { fundConfig } from '../helpers/fixtures';

describe('programme configuration', () => {
  it('accepts the documented example programme', () => {
    const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../docs/examples/programme.json'), 'utf8'));
    expect(newProgrammeSchema.safeParse(example).success).toBe(true);
  });

  it('refuses tranches that do not add up to 100%, unknown milestones and a quorum above the panel', () => {
    const bad = programmeConfigSchema.safeParse(
      fundConfig({
        tranches: [
          { code: 'T1', percent: 60, after: 'signing' },
          { code: 'T2', percent: 30, after: 'midway' },
        ],
        review: { ...fundConfig().review, panelSize: 3, quorum: 5 } as never,
      }),
    );
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => i.message).join(' | ');
    expect(messages).toMatch(/add up to 90/);
    expect(messages).toMatch(/no milestone 'midway'/);
    expect(messages).toMatch(/quorum cannot exceed panelSize/);
  });
});

describe('review arithmetic', () => {
  const rubric = fundConfig().review!.rubric as Parameters<typeof weightedTotal>[0];
  it('weights criteria onto 0-100', () => {
    expect(weightedTotal(rubric, { innovation: 10, team: 10, market: 10, fit: 10 })).toBe(100);
    expect(weightedTotal(rubric, { innovation: 10, team: 0, market: 0, fit: 0 })).toBe(30);
  });
  it('drops the highest and the lowest for a trimmed mean, but not below three scores', () => {
    expect(aggregate([90, 80, 80, 70, 20], 'trimmed_mean')).toBe(76.67);
    expect(aggregate([90, 20], 'trimmed_mean')).toBe(55);
    expect(aggregate([90, 80, 80, 70, 20], 'mean')).toBe(68);
  });
});
