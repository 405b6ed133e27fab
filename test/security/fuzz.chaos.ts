// The long fuzz run, on demand (npm run test:chaos): the same suite as fuzz.test.ts with every
// schemathesis phase, up to 100 test cases per operation, and fuzzing repeated for 300 s per run.
// PF_FUZZ_EXAMPLES, PF_FUZZ_MAX_TIME (seconds per run) and PF_FUZZ_SEED change it.
import { fuzzSuite } from './fuzz-run';

jest.setTimeout(60 * 60_000);

fuzzSuite({
  name: 'chaos',
  maxExamples: Number(process.env.PF_FUZZ_EXAMPLES ?? 100),
  maxTime: Number(process.env.PF_FUZZ_MAX_TIME ?? 300),
  allPhases: true,
  seed: Number(process.env.PF_FUZZ_SEED ?? Date.now() % 100_000),
});
