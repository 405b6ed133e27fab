// Fixed offered rates with k6's constant-arrival-rate executor. autocannon holds a rate by letting
// each connection send its share of a second back to back and then wait for the next second, so its
// "500 req/s" is a burst of 500 at the top of every second, and its latency correction assumes a
// 1 ms interval at any rate: a latency at a fixed rate measured that way is the burst's queue, not
// the server's. k6 (built by `scripts/install-tools.sh k6`) sends each request on its own schedule.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../infra/tools';

const run = promisify(execFile);

export interface FixedRateLoad {
  offered: number;
  /** Requests answered per second over the run. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** Requests k6 could not send on time because every virtual user was still waiting: the rate was not held. */
  dropped: number;
}

export async function fixedRate(url: string, key: string | null, o: { rate: number; durationS: number }): Promise<FixedRateLoad> {
  const k6 = path.join(PROJECT_ROOT, 'tools', 'bin', 'k6');
  if (!fs.existsSync(k6)) throw new Error(`${k6} is missing: run \`bash scripts/install-tools.sh k6\``);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-k6-'));
  const summary = path.join(dir, 'summary.json');
  try {
    await run(k6, ['run', '--quiet', '--no-usage-report', path.join(__dirname, 'fixed-rate.k6.js')], {
      env: { ...process.env, URL: url, KEY: key ?? '', RATE: String(o.rate), DURATION_S: String(o.durationS), SUMMARY_FILE: summary, K6_NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const m = JSON.parse(fs.readFileSync(summary, 'utf8')).metrics as Record<string, { values: Record<string, number> }>;
    const duration = m.http_req_duration!.values;
    return {
      offered: o.rate,
      rps: Math.round((m.http_reqs?.values.count ?? 0) / o.durationS),
      p50Ms: Math.round(duration['p(50)']! * 10) / 10,
      p99Ms: Math.round(duration['p(99)']! * 10) / 10,
      non2xx: m.http_req_failed?.values.passes ?? 0,
      dropped: m.dropped_iterations?.values.count ?? 0,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
