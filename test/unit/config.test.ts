import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../infra/config';
import { keyedHash, piiHashKey } from '../../infra/pii';

describe('configuration', () => {
  it('has working defaults for the embedded system', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, DATABASE_URL: 'file:./data/app.db', TEMPORAL_NAMESPACE: 'default' });
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(config.databaseFile).toMatch(/data\/app\.db$/);
  });

  it('chooses PostgreSQL by a postgres URL alone', () => {
    for (const url of ['postgresql://pf:secret@db.internal:5432/flow', 'postgres://pf@127.0.0.1/flow']) {
      expect(loadConfig({ DATABASE_URL: url })).toMatchObject({ DATABASE_URL: url, databaseProvider: 'postgresql', databaseFile: null });
    }
    expect(loadConfig({ DATABASE_URL: 'file:./x.db' })).toMatchObject({ databaseProvider: 'sqlite' });
  });

  it('names every bad variable at once', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', TEMPORAL_TLS_CERT_PATH: '/a.pem', BOOTSTRAP_ADMIN_EMAIL: 'a@b.cn' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    for (const name of ['PORT', 'DATABASE_URL', 'TEMPORAL_TLS_CERT_PATH', 'BOOTSTRAP_ADMIN_EMAIL']) {
      expect(message).toContain(name);
    }
  });

  it('refuses a bootstrap API key that could never authenticate', () => {
    expect(() => loadConfig({ BOOTSTRAP_ADMIN_EMAIL: 'admin@zone.cn', BOOTSTRAP_ADMIN_API_KEY: 'secret' })).toThrow(
      /BOOTSTRAP_ADMIN_API_KEY/,
    );
  });

  it('waits on a workflow for less than an unfinished request holds its Idempotency-Key', () => {
    expect(loadConfig({})).toMatchObject({ WORKFLOW_WAIT_MS: 30_000, IDEMPOTENCY_LEASE_MS: 60_000 });
    expect(loadConfig({ WORKFLOW_WAIT_MS: '5000', IDEMPOTENCY_LEASE_MS: '6000' }).WORKFLOW_WAIT_MS).toBe(5_000);
    expect(() => loadConfig({ WORKFLOW_WAIT_MS: '60000' })).toThrow(/WORKFLOW_WAIT_MS: must be shorter than IDEMPOTENCY_LEASE_MS/);
    expect(() => loadConfig({ WORKFLOW_WAIT_MS: '10' })).toThrow(/WORKFLOW_WAIT_MS/);
  });

  it("leaves the worker's workflow cache to the SDK unless it is given a size", () => {
    expect(loadConfig({}).WORKER_MAX_CACHED_WORKFLOWS).toBeUndefined();
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '500' }).WORKER_MAX_CACHED_WORKFLOWS).toBe(500);
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0' }).WORKER_MAX_CACHED_WORKFLOWS).toBe(0);
    for (const bad of ['-1', 'many', '2.5']) {
      expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: bad })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
    }
  });

  it('takes the worker metrics address as host:port, off by default', () => {
    expect(loadConfig({}).TEMPORAL_METRICS_BIND).toBeUndefined();
    expect(loadConfig({ TEMPORAL_METRICS_BIND: '0.0.0.0:9464' }).TEMPORAL_METRICS_BIND).toBe('0.0.0.0:9464');
    expect(loadConfig({ TEMPORAL_METRICS_BIND: '[::1]:9464' }).TEMPORAL_METRICS_BIND).toBe('[::1]:9464');
    for (const bad of ['9464', 'http://0.0.0.0:9464', 'localhost:port']) {
      expect(() => loadConfig({ TEMPORAL_METRICS_BIND: bad })).toThrow(/TEMPORAL_METRICS_BIND/);
    }
  });
});

describe('the key of the keyed hash of identity numbers', () => {
  it('is required in production, named with the other problems', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', PORT: 'eighty' })).toThrow(/PORT[\s\S]*PII_HASH_KEY: required in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', PII_HASH_KEY: 'short' })).toThrow(/PII_HASH_KEY/);
    expect(loadConfig({ NODE_ENV: 'production', PII_HASH_KEY: 'k'.repeat(32) }).PII_HASH_KEY).toBe('k'.repeat(32));
  });

  it('is generated once into DATA_DIR when not configured, and kept across restarts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-pii-'));
    try {
      const first = piiHashKey({ DATA_DIR: dir });
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(fs.statSync(path.join(dir, 'pii-hash-key')).mode & 0o777).toBe(0o600);
      expect(piiHashKey({ DATA_DIR: dir })).toBe(first);
      expect(piiHashKey({ DATA_DIR: dir, PII_HASH_KEY: 'c'.repeat(32) })).toBe('c'.repeat(32));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes a hash that finds duplicates but is not the plain SHA-256 an ID number is enumerated against', () => {
    const id = '11010519491231002X';
    const key = 'k'.repeat(32);
    expect(keyedHash(key, id)).toBe(keyedHash(key, id));
    expect(keyedHash(key, id)).not.toBe(keyedHash('j'.repeat(32), id));
    expect(keyedHash(key, id)).not.toBe(createHash('sha256').update(id).digest('hex'));
  });
});
