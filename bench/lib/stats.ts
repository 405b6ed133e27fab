/** The q-quantile (0..1) of a list of numbers, nearest rank; 0 for an empty list. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface LatencySummary {
  n: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

export function summarise(values: number[]): LatencySummary {
  const mean = values.length ? values.reduce((s, v) => s + v, 0) / values.length : 0;
  return { n: values.length, meanMs: r1(mean), p50Ms: r1(quantile(values, 0.5)), p95Ms: r1(quantile(values, 0.95)), p99Ms: r1(quantile(values, 0.99)) };
}

/** a / b rounded to two places (null when b is 0). */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : Math.round((a / b) * 100) / 100;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
    }),
  );
  return out;
}
