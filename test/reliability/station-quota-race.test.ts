// The station races (test/reliability/station-quota-race.ts) at a size for every run: 12
// workstations for a quota of 5; `npm run test:chaos` runs 40. RACE_STATIONS overrides the count.
import { envCount } from '../helpers/concurrency';
import { stationQuotaRace } from './station-quota-race';

stationQuotaRace(envCount('RACE_STATIONS', 12));
