import { randomUUID } from 'node:crypto';

const DAY = 24 * 60 * 60 * 1000;

/** A talent-fund call body as an officer would post it; figures from the Foshan programme. */
export function programmeBody(overrides: Record<string, unknown> = {}, now = new Date()) {
  return {
    code: `FS-TT-${randomUUID().slice(0, 8)}`,
    title: 'Foshan hi-tech zone talent-team special guidance fund',
    kind: 'talent_fund',
    budgetFen: 9_700_000_000, // 97 million yuan
    opensAt: new Date(now.getTime() - DAY).toISOString(),
    closesAt: new Date(now.getTime() + 30 * DAY).toISOString(),
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
    ...overrides,
  };
}

export { DAY };
