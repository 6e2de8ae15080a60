import path from 'node:path';
import { sharedTestServer, startTestServer, type TestServer } from '../server/helpers.ts';
import type { StartLocalServerOptions } from '../../src/server/start.ts';

export const COMPAT_FIXTURES = path.resolve(import.meta.dirname, 'fixtures');

type CompatSite = 'esm-site' | 'cjs-site';

/** Serves a compat fixture site through the real local server (port 0, manual clock), stopped after the test. */
export function startSite(site: CompatSite, options: Partial<StartLocalServerOptions> = {}): Promise<TestServer> {
  return startTestServer({ rootDir: path.join(COMPAT_FIXTURES, site), ...options });
}

/**
 * Serves a compat fixture site once for all the tests of the enclosing describe block (see
 * sharedTestServer for when that is allowed): a start bundles every function of the site.
 */
export function sharedSite(site: CompatSite, options: Partial<StartLocalServerOptions> = {}): () => TestServer {
  return sharedTestServer({ rootDir: path.join(COMPAT_FIXTURES, site), ...options });
}

/** A function's URL on a running server. */
export function fn(url: string, name: string, query = ''): string {
  return `${url}/.netlify/functions/${name}${query}`;
}
