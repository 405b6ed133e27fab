import { z } from 'zod';

// Programme rules as data. A case is started with a snapshot of one version of these and keeps it
// until an officer migrates it. Nothing here is a constant in code; the defaults below are the
// Foshan talent-team fund's published figures, for convenience only.
// Workflows import the types from here with `import type` only, so zod never enters a bundle.

const fen = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const days = z.number().positive().max(3650);
const daysBefore = z.array(z.number().positive().max(365)).max(10);

export const tierSchema = z.strictObject({
  code: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/),
  label: z.string().min(1).max(100).optional(),
  amountFen: fen,
});

export const criterionSchema = z.strictObject({
  code: z.string().regex(/^[a-z0-9_]{1,32}$/),
  label: z.string().min(1).max(200),
  weight: z.number().positive().max(100),
  max: z.number().int().positive().max(100),
});

export const milestoneSchema = z.strictObject({
  code: z.string().regex(/^[a-z0-9_]{1,32}$/),
  label: z.string().min(1).max(200),
  monthsAfterSigning: z.number().positive().max(120),
  reminderDaysBefore: daysBefore.default([14, 3]),
  /** After the due date, how long before a missing report counts as a no-show. */
  graceDays: days.default(15),
  passScore: z.number().min(0).max(100).default(60),
  /** The final acceptance (验收): its outcome is decided by an officer and published. */
  final: z.boolean().default(false),
});

export const trancheSchema = z.strictObject({
  code: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/),
  percent: z.number().positive().max(100),
  /** 'signing', or the code of the milestone whose pass releases it. */
  after: z.string().min(1).max(32),
});

/** An expert review round's rules; the same for fund applications and stations. */
export const reviewSchema = z
  .strictObject({
    rubric: z.array(criterionSchema).min(1).max(20),
    panelSize: z.number().int().min(1).max(15).default(5),
    quorum: z.number().int().min(1).max(15).default(3),
    passScore: z.number().min(0).max(100).default(70),
    aggregation: z.enum(['mean', 'trimmed_mean']).default('mean'),
    deadlineDays: days.default(14),
    reminderDaysBefore: daysBefore.default([3, 1]),
    /** A reviewer silent this long after the deadline is replaced. */
    replaceSilentAfterDays: days.default(2),
    maxReplacements: z.number().int().nonnegative().max(20).default(3),
  })
  .refine((r) => r.quorum <= r.panelSize, { message: 'quorum cannot exceed panelSize', path: ['quorum'] });

const timeScale = z.number().min(1).max(10_000_000).default(1);

export const programmeConfigSchema = z
  .strictObject({
    /**
     * How many times faster than the calendar this programme's cases run. 1 in production; a demo
     * sets 86400 so that a day passes in a second. Working days are counted on the real calendar,
     * then the span is compressed.
     */
    timeScale,
    tiers: z.array(tierSchema).min(1).max(10),
    eligibility: z
      .strictObject({
        /** Fields (industries) the zone funds; empty means any. */
        fields: z.array(z.string().min(1).max(100)).max(100).default([]),
        /** Applicants, units or members with a credit downgrade on record may not apply. */
        refuseCreditDowngrades: z.boolean().default(true),
        minSummaryLength: z.number().int().nonnegative().max(20_000).default(0),
      })
      .prefault({}),
    formalReview: z
      .strictObject({
        revisionDays: days.default(10),
        maxRevisions: z.number().int().nonnegative().max(5).default(2),
      })
      .prefault({}),
    review: reviewSchema,
    defence: z.strictObject({ required: z.boolean().default(true) }).prefault({}),
    siteVisit: z.strictObject({ required: z.boolean().default(true) }).prefault({}),
    publicNotice: z.strictObject({ workingDays: z.number().int().min(1).max(60).default(7) }).prefault({}),
    agreement: z.strictObject({ signDays: days.default(30) }).prefault({}),
    finance: z.strictObject({ approvalsRequired: z.number().int().min(1).max(2).default(1) }).prefault({}),
    tranches: z.array(trancheSchema).min(1).max(10),
    milestones: z.array(milestoneSchema).min(1).max(10),
    limits: z
      .strictObject({
        /** Rectification periods (one extension) a case may have after a failed check. */
        maxExtensions: z.number().int().nonnegative().max(3).default(1),
        rectificationMonths: z.number().positive().max(36).default(6),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const total = c.tranches.reduce((s, t) => s + t.percent, 0);
    if (Math.abs(total - 100) > 1e-9) {
      ctx.addIssue({ code: 'custom', path: ['tranches'], message: `tranche percentages add up to ${total}, not 100` });
    }
    const codes = new Set(c.milestones.map((m) => m.code));
    for (const [i, t] of c.tranches.entries()) {
      if (t.after !== 'signing' && !codes.has(t.after)) {
        ctx.addIssue({ code: 'custom', path: ['tranches', i, 'after'], message: `no milestone '${t.after}'` });
      }
    }
    if (c.milestones.filter((m) => m.final).length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['milestones'], message: 'exactly one milestone must be final' });
    }
    const months = c.milestones.map((m) => m.monthsAfterSigning);
    if (months.some((m, i) => i > 0 && m <= months[i - 1]!)) {
      ctx.addIssue({ code: 'custom', path: ['milestones'], message: 'milestones must be in order of monthsAfterSigning' });
    }
    if (!c.milestones.at(-1)?.final) {
      ctx.addIssue({ code: 'custom', path: ['milestones'], message: 'the final milestone must be the last' });
    }
  });

export type ProgrammeConfigInput = z.input<typeof programmeConfigSchema>;
export type ProgrammeConfig = z.output<typeof programmeConfigSchema>;
export type MilestoneConfig = z.output<typeof milestoneSchema>;
export type TrancheConfig = z.output<typeof trancheSchema>;
export type ReviewConfig = ProgrammeConfig['review'];
export type Criterion = z.output<typeof criterionSchema>;

// ---- Stations: academician / expert workstations, doctoral and postdoctoral stations ----------

export const EXPERT_TITLES = ['academician', 'expert', 'doctor', 'postdoc'] as const;

export const stationTypeSchema = z.strictObject({
  code: z.string().regex(/^[a-z0-9_]{1,40}$/),
  label: z.string().min(1).max(200),
  /** Who may host: enterprises, institutions, or both. */
  hostKinds: z.array(z.enum(['enterprise', 'institution'])).min(1).default(['enterprise']),
  residentExperts: z
    .strictObject({
      min: z.number().int().min(1).max(50),
      max: z.number().int().min(1).max(50),
      /** Titles a resident expert must hold (e.g. academician for an academician workstation). */
      titles: z.array(z.enum(EXPERT_TITLES)).min(1),
    })
    .refine((r) => r.min <= r.max, { message: 'min cannot exceed max', path: ['min'] }),
  termYears: z.number().int().min(1).max(10),
  subsidyFen: fen,
  evaluationEveryMonths: z.number().int().min(1).max(36).default(12),
  /** How many of this type the programme may establish over its period. */
  quota: z.number().int().min(0).max(10_000),
});

export const stationProgrammeConfigSchema = z
  .strictObject({
    timeScale,
    stationTypes: z.array(stationTypeSchema).min(1).max(10),
    review: reviewSchema,
    publicNotice: z.strictObject({ workingDays: z.number().int().min(1).max(60).default(5) }).prefault({}),
    evaluation: z
      .strictObject({
        excellentScore: z.number().min(0).max(100).default(85),
        passScore: z.number().min(0).max(100).default(60),
        /** At or above this (and below the pass score) a station is given a rectification period. */
        rectifyScore: z.number().min(0).max(100).default(45),
        reminderDaysBefore: daysBefore.default([30, 7]),
        graceDays: days.default(15),
        rectificationMonths: z.number().positive().max(24).default(6),
      })
      .prefault({})
      .refine((e) => e.rectifyScore <= e.passScore && e.passScore <= e.excellentScore, {
        message: 'scores must satisfy rectifyScore <= passScore <= excellentScore',
      }),
    /** How many stations one expert may be resident at, across all programmes. */
    experts: z.strictObject({ maxStationsPerExpert: z.number().int().min(1).max(10).default(2) }).prefault({}),
    renewal: z.strictObject({ applyWithinDaysBeforeEnd: days.default(180) }).prefault({}),
  })
  .superRefine((c, ctx) => {
    const codes = c.stationTypes.map((t) => t.code);
    if (new Set(codes).size !== codes.length) ctx.addIssue({ code: 'custom', path: ['stationTypes'], message: 'station type codes must be unique' });
  });

export type StationProgrammeConfig = z.output<typeof stationProgrammeConfigSchema>;
export type StationProgrammeConfigInput = z.input<typeof stationProgrammeConfigSchema>;
export type StationType = z.output<typeof stationTypeSchema>;
