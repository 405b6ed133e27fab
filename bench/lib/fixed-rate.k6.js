// A k6 script: GET one URL at a constant arrival rate (an open model: each request is sent on its
// schedule whether or not earlier ones have answered), for bench/lib/k6.ts. Parameters by env.
import http from 'k6/http';

const rate = Number(__ENV.RATE);
export const options = {
  discardResponseBodies: true,
  summaryTrendStats: ['p(50)', 'p(99)', 'avg', 'max'],
  scenarios: {
    fixed: {
      executor: 'constant-arrival-rate',
      rate,
      timeUnit: '1s',
      duration: `${__ENV.DURATION_S}s`,
      preAllocatedVUs: Math.max(10, Math.ceil(rate / 10)),
      maxVUs: Math.max(50, Math.min(2000, rate * 2)),
    },
  },
};

const params = __ENV.KEY ? { headers: { authorization: `Bearer ${__ENV.KEY}` } } : {};

export default function () {
  http.get(__ENV.URL, params);
}

export function handleSummary(data) {
  return { [__ENV.SUMMARY_FILE]: JSON.stringify(data) };
}
