// The API fuzzed from its own OpenAPI document by schemathesis, bounded for CI (a couple of minutes).
// The long run is fuzz.chaos.ts (npm run test:chaos); both are fuzzSuite in fuzz-run.ts.
import { fuzzSuite } from './fuzz-run';

jest.setTimeout(10 * 60_000);

fuzzSuite({ name: 'bounded', maxExamples: Number(process.env.PF_FUZZ_EXAMPLES ?? 5), maxTime: Number(process.env.PF_FUZZ_MAX_TIME ?? 25), seed: Number(process.env.PF_FUZZ_SEED ?? 1) });
