// The budget race (test/reliability/budget-race.ts) at full size: 200 countersignatures at once
// against a budget for 100. RACE_CASES overrides the count.
import { envCount } from '../helpers/concurrency';
import { budgetRace } from './budget-race';

budgetRace(envCount('RACE_CASES', 200));
