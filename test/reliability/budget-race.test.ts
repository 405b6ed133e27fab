// The budget race (test/reliability/budget-race.ts) at a size for every run: 60 cases, 30 of them
// covered; `npm run test:chaos` runs it with 200. RACE_CASES overrides the count.
import { envCount } from '../helpers/concurrency';
import { budgetRace } from './budget-race';

budgetRace(envCount('RACE_CASES', 60));
