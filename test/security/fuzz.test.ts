// The API fuzzed from its own OpenAPI document by schemathesis, bounded for CI: a few test cases per
// operation and run (PF_FUZZ_EXAMPLES, default 3), every operation reached whatever the machine's
// speed. The long run is fuzz.chaos.ts (npm run test:chaos); both are fuzzSuite in fuzz-run.ts.
import { fuzzSuite } from './fuzz-run';

jest.setTimeout(20 * 60_000);

fuzzSuite({ name: 'bounded', maxExamples: Number(process.env.PF_FUZZ_EXAMPLES ?? 3), allPhases: false, seed: Number(process.env.PF_FUZZ_SEED ?? 1) });
