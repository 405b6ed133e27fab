// The station races (test/reliability/station-quota-race.ts) at full size: 40 workstations approved
// at once for a quota of 5. RACE_STATIONS overrides the count.
import { envCount } from '../helpers/concurrency';
import { stationQuotaRace } from './station-quota-race';

stationQuotaRace(envCount('RACE_STATIONS', 40));
