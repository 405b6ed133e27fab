import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ActionContext, NextStep } from './application-messages';
import type { StationProgrammeConfig } from './programme-config';

export const STATION_STAGES = [
  'draft',
  'submitted',
  'formal_check',
  'expert_panel',
  'panel_stalled',
  'site_visit',
  'public_notice',
  'established',
  'rectifying',
  'renewal_review',
  // Final stages:
  'rejected',
  'withdrawn',
  'cancelled',
  'revoked',
  'expired',
] as const;
export type StationStage = (typeof STATION_STAGES)[number];
export const FINAL_STATION_STAGES: readonly StationStage[] = ['rejected', 'withdrawn', 'cancelled', 'revoked', 'expired'];

export type EvaluationOutcome = 'excellent' | 'pass' | 'rectify' | 'fail' | 'no_show';

export interface StationEvaluation {
  term: number;
  year: number;
  attempt: number;
  workflowId: string;
  score: number | null;
  outcome: EvaluationOutcome | null;
}

export interface ExpertChange {
  id: string;
  add: string | null;
  remove: string | null;
  reason: string;
  requestedAt: string;
  status: 'pending' | 'approved' | 'rejected';
}

/** What carries a station from one run to the next (continue-as-new), so its history stays bounded. */
export interface StationCarry {
  run: number;
  seq: number;
  auditSeq: number;
  stage: StationStage;
  term: number;
  termStartedAt: string;
  establishedAt: string;
  /** Years of the current term already evaluated. */
  yearsDone: number;
  residentExperts: string[];
  evaluations: StationEvaluation[];
  expertChanges: ExpertChange[];
  history: Array<{ stage: StationStage; at: string }>;
}

export interface StationWorkflowInput {
  stationId: string;
  hostId: string;
  programme: { id: string; configVersion: number; config: StationProgrammeConfig };
  station: { type: string; name: string; field: string; hostName: string; hostKind: 'enterprise' | 'institution'; experts: string[] };
  carry?: StationCarry;
}

export interface StationView {
  stationId: string;
  stage: StationStage;
  type: string;
  configVersion: number;
  term: number;
  termStartedAt: string | null;
  termEndsAt: string | null;
  residentExperts: string[];
  proposedExperts: string[];
  next: NextStep;
  history: Array<{ stage: StationStage; at: string }>;
  eligibility: { passed: boolean; failures: string[] } | null;
  lastReview: { round: number; outcome: string; aggregate: number | null } | null;
  active: { reviewRound: string | null; notice: string | null; milestoneCheck: string | null };
  evaluations: StationEvaluation[];
  expertChanges: ExpertChange[];
  renewal: { appliedAt: string | null };
  run: number;
  closedReason: string | null;
}

export type StationFormalCommand = ActionContext & ({ decision: 'accept' } | { decision: 'reject'; reason: string });
export type StationStalledCommand = ActionContext & { decision: 'restart' | 'reject'; reason: string };
export type SiteVisitCommand = ActionContext & { outcome: 'pass' | 'fail'; notes: string };
export type ExpertChangeRequest = ActionContext & { add?: string; remove?: string; reason: string };
export type ExpertChangeDecision = ActionContext & { changeId: string; approve: boolean; reason: string };
export type RenewalCommand = ActionContext;
export type RenewalDecision = ActionContext & { approve: boolean; reason: string };
export type StationCloseCommand = ActionContext & { reason: string };

export const submitStationUpdate = defineUpdate<StationView, [ActionContext]>('submit');
export const stationFormalUpdate = defineUpdate<StationView, [StationFormalCommand]>('decideFormalCheck');
export const stationStalledUpdate = defineUpdate<StationView, [StationStalledCommand]>('resolveStalledReview');
export const siteVisitUpdate = defineUpdate<StationView, [SiteVisitCommand]>('recordSiteVisit');
export const requestExpertChangeUpdate = defineUpdate<StationView, [ExpertChangeRequest]>('requestExpertChange');
export const decideExpertChangeUpdate = defineUpdate<StationView, [ExpertChangeDecision]>('decideExpertChange');
export const applyForRenewalUpdate = defineUpdate<StationView, [RenewalCommand]>('applyForRenewal');
export const decideRenewalUpdate = defineUpdate<StationView, [RenewalDecision]>('decideRenewal');
export const withdrawStationUpdate = defineUpdate<StationView, [StationCloseCommand]>('withdraw');
export const cancelStationUpdate = defineUpdate<StationView, [StationCloseCommand]>('cancel');
export const stationViewQuery = defineQuery<StationView>('view');
