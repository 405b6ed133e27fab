import { randomUUID } from 'node:crypto';
import type { ProgrammeConfigInput, StationProgrammeConfigInput } from '../../shared/programme-config';

const DAY = 24 * 60 * 60 * 1000;

/**
 * The Foshan talent-team fund's rules as published: tiers A/B/C of 8/5/2 million yuan, a panel of 5
 * with a quorum of 3, 7 working days of public notice, 60% on signing and 40% after the mid-term
 * check at 18 months, final acceptance at 36 months.
 */
export function fundConfig(overrides: Partial<ProgrammeConfigInput> = {}): ProgrammeConfigInput {
  return {
    tiers: [
      { code: 'A', amountFen: 800_000_000 },
      { code: 'B', amountFen: 500_000_000 },
      { code: 'C', amountFen: 200_000_000 },
    ],
    eligibility: { fields: ['new-energy', 'advanced-manufacturing', 'biomedicine', 'electronics'] },
    review: {
      rubric: [
        { code: 'innovation', label: 'Technical innovation', weight: 30, max: 10 },
        { code: 'team', label: 'Team strength', weight: 30, max: 10 },
        { code: 'market', label: 'Industrialisation prospects', weight: 25, max: 10 },
        { code: 'fit', label: 'Fit with the zone’s industries', weight: 15, max: 10 },
      ],
      panelSize: 5,
      quorum: 3,
      passScore: 70,
      aggregation: 'trimmed_mean',
    },
    publicNotice: { workingDays: 7 },
    tranches: [
      { code: 'T1', percent: 60, after: 'signing' },
      { code: 'T2', percent: 40, after: 'midterm' },
    ],
    milestones: [
      { code: 'midterm', label: 'mid-term check', monthsAfterSigning: 18, passScore: 60 },
      { code: 'final', label: 'final acceptance', monthsAfterSigning: 36, passScore: 60, final: true },
    ],
    ...overrides,
  };
}

/** A talent-fund call body as an officer would post it. */
export function programmeBody(overrides: Record<string, unknown> = {}, now = new Date()) {
  return {
    code: `FS-TT-${randomUUID().slice(0, 8)}`,
    title: 'Foshan hi-tech zone talent-team special guidance fund',
    kind: 'talent_fund',
    budgetFen: 9_700_000_000, // 97 million yuan
    opensAt: new Date(now.getTime() - DAY).toISOString(),
    closesAt: new Date(now.getTime() + 30 * DAY).toISOString(),
    config: fundConfig(),
    ...overrides,
  };
}

export function draftBody(programmeId: string, overrides: Record<string, unknown> = {}) {
  return {
    programmeId,
    title: 'Solid-state battery pilot line',
    summary: 'Industrialising a sulfide electrolyte cell with a Foshan host enterprise.',
    field: 'new-energy',
    requestedFen: 800_000_000, // tier A: 8 million yuan
    unitName: 'Foshan Nanhai Cell Technology Co., Ltd.',
    members: ['Li Na', 'Zhou Qiang'],
    ...overrides,
  };
}

export { DAY };

/**
 * Wenzhou-style station programme: academician workstations (one to three academicians, three-year
 * term, a subsidy of 500,000 yuan) and doctoral innovation stations, with quotas over the plan.
 */
export function stationConfig(overrides: Partial<StationProgrammeConfigInput> = {}): StationProgrammeConfigInput {
  return {
    stationTypes: [
      {
        code: 'academician_workstation',
        label: 'academician workstation',
        hostKinds: ['enterprise'],
        residentExperts: { min: 1, max: 3, titles: ['academician'] },
        termYears: 3,
        subsidyFen: 50_000_000,
        evaluationEveryMonths: 12,
        quota: 50,
      },
      {
        code: 'doctoral_station',
        label: 'doctoral innovation station',
        hostKinds: ['enterprise', 'institution'],
        residentExperts: { min: 2, max: 5, titles: ['doctor', 'postdoc'] },
        termYears: 3,
        subsidyFen: 20_000_000,
        evaluationEveryMonths: 12,
        quota: 100,
      },
    ],
    review: {
      rubric: [
        { code: 'host', label: 'Host enterprise strength', weight: 40, max: 10 },
        { code: 'experts', label: 'Resident experts', weight: 40, max: 10 },
        { code: 'plan', label: 'Work plan', weight: 20, max: 10 },
      ],
      panelSize: 3,
      quorum: 2,
      passScore: 70,
    },
    publicNotice: { workingDays: 5 },
    ...overrides,
  };
}
