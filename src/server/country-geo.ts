/**
 * The location `--country XX` gives every request, as `netlify dev --country XX` does: netlify-cli's
 * mock location for a country (`lib/geo-location.ts` `getGeoLocation`: "Mock City", "Mock Country",
 * subdivision "SD", coordinates 0, time zone UTC), with the country code asked for.
 */
import type { Geo } from '../sim/api.ts';

export function countryGeo(code: string): Geo {
  return {
    city: 'Mock City',
    country: { code, name: 'Mock Country' },
    subdivision: { code: 'SD', name: 'Mock Subdivision' },
    longitude: 0,
    latitude: 0,
    timezone: 'UTC',
  };
}
