/**
 * The location `--country XX` gives every request, as `netlify dev --country XX` does: netlify-cli's
 * mock location for a country (`lib/geo-location.ts` `getGeoLocation`: "Mock City", "Mock Country",
 * subdivision "SD", coordinates 0, time zone UTC), with the country code asked for.
 */
import type { Geo } from '../sim/api.ts';
import { frozenGeo } from '../sim/platform-defaults.ts';

/** The mock location for country `code`, frozen: the server hands the same one to every request. */
export function countryGeo(code: string): Geo {
  return frozenGeo({
    city: 'Mock City',
    country: { code, name: 'Mock Country' },
    subdivision: { code: 'SD', name: 'Mock Subdivision' },
    longitude: 0,
    latitude: 0,
    timezone: 'UTC',
  });
}
