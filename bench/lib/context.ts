import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { PrismaClient } from '../../infra/db';
import type { ServerInfo } from '../server';
import type { Api } from './http';

/** One line of the results table: a figure, its same-run baseline and the target, if any. */
export interface Row {
  measure: string;
  figure: string;
  baseline?: string;
  ratio?: string;
  target?: string;
  met?: boolean | null;
}

export interface ModuleResult {
  rows: Row[];
  data: Record<string, unknown>;
}

export interface BenchContext {
  quick: boolean;
  api: Api;
  bare: Api;
  info: ServerInfo;
  /** The bench's own client on the system's database (seeding, sizes, checks). */
  prisma: PrismaClient;
  temporal: Client;
  /** Shared between modules: a module may leave cases for a later one. */
  shared: Record<string, unknown>;
}

/** Resident and peak resident memory of the system's process (API and worker), in MB. */
export function serverMemory(pid: number): { rssMb: number; peakRssMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(/\d+/.exec(status.split('\n').find((l) => l.startsWith(field)) ?? '0')![0]);
  return { rssMb: Math.round(kb('VmRSS:') / 1024), peakRssMb: Math.round(kb('VmHWM:') / 1024) };
}

/** A SQLite database's size on disk, its write-ahead log included. */
export function sqliteBytes(file: string): number {
  let total = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      total += fs.statSync(f).size;
    } catch {
      // no log
    }
  }
  return total;
}

export function appDbFile(info: ServerInfo): string {
  return info.databaseUrl.slice('file:'.length);
}

export function temporalDbFile(info: ServerInfo): string {
  return path.join(info.dataDir, 'temporal.db');
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : String(n));
export const ms = (n: number) => `${fmt(n)} ms`;
export const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024)} MB`;
