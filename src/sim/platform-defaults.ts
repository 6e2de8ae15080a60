/**
 * Platform facts a local run has no real value for, shared by the simulator (main thread: the v1
 * event's `x-nf-*` headers) and the runtime (v2 context), so both report the same.
 */
import type { Geo } from './api.ts';

/**
 * netlify dev's default location (@netlify/dev-utils `mockLocation`), used when the caller passes no
 * geo and the request has no `x-nf-geo` header.
 */
export const DEFAULT_GEO: Geo = frozenGeo({
  city: 'San Francisco',
  country: { code: 'US', name: 'United States' },
  subdivision: { code: 'CA', name: 'California' },
  longitude: 0,
  latitude: 0,
  timezone: 'UTC',
});

/**
 * `geo`, frozen with the objects inside it. A geo shared by every invocation (the default, a server's
 * `--country`) is frozen so that its `x-nf-geo` encoding can be kept ({@link encodeGeoHeader}).
 */
export function frozenGeo(geo: Geo): Geo {
  for (const value of Object.values(geo)) if (typeof value === 'object' && value !== null) Object.freeze(value);
  return Object.freeze(geo);
}

/**
 * Netlify's default Node.js major for functions: zip-it-and-ship-it's default node version (24 since
 * July 2026). A callback handler fails on it (docs/handlers.md).
 */
export const DEFAULT_NODE_VERSION_MAJOR = 24;

/** netlify dev's site id for a site not linked to a Netlify site (netlify/cli `UNLINKED_SITE_MOCK_ID`). */
export const UNLINKED_SITE_ID = 'unlinked';

/** The account id the simulator reports: there is no Netlify account behind a local run. */
export const LOCAL_ACCOUNT_ID = 'local';

/** Decodes an `x-nf-geo` header (base64 of the JSON geo object); undefined when absent or not valid. */
export function decodeGeoHeader(value: string | undefined): Geo | undefined {
  if (!value) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Geo) : undefined;
  } catch {
    return undefined;
  }
}

/** The invocation's geo: the caller's (a flag, the router), else the request's `x-nf-geo` header, else netlify dev's mock. */
export function resolveGeo(headers: ReadonlyArray<readonly [string, string]>, given: Geo | undefined): Geo {
  if (given) return given;
  // A loop rather than find() with a destructuring callback: this runs for every invocation, on the
  // server's busiest thread, and nearly always finds nothing.
  for (const field of headers) if (field[0] === 'x-nf-geo') return decodeGeoHeader(field[1]) ?? DEFAULT_GEO;
  return DEFAULT_GEO;
}

// By geo object: nearly every invocation carries the same one (DEFAULT_GEO or the server's --country),
// and its request needs the header each time. Only a frozen geo is remembered: a caller's own object
// may change between two invocations, and each must carry what it holds then.
const encodedGeos = new WeakMap<Geo, string>();

/** The usual case, without the WeakMap lookup. */
const defaultGeoHeader = Buffer.from(JSON.stringify(DEFAULT_GEO)).toString('base64');

/** Encodes a geo as Netlify's `x-nf-geo` header carries it. */
export function encodeGeoHeader(geo: Geo): string {
  if (geo === DEFAULT_GEO) return defaultGeoHeader;
  if (!Object.isFrozen(geo)) return Buffer.from(JSON.stringify(geo)).toString('base64');
  let encoded = encodedGeos.get(geo);
  if (encoded === undefined) {
    encoded = Buffer.from(JSON.stringify(geo)).toString('base64');
    encodedGeos.set(geo, encoded);
  }
  return encoded;
}
