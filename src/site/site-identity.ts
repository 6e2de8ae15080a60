/**
 * The site's id and name, as production sets `SITE_ID` and `SITE_NAME` for functions. A site linked
 * with `netlify link` has its id in `.netlify/state.json` (netlify-cli's state file); an unlinked site
 * gets netlify dev's id for it, `unlinked` (netlify-cli `UNLINKED_SITE_MOCK_ID`), rather than an id
 * no Netlify site has.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UNLINKED_SITE_ID } from '../sim/platform-defaults.ts';

export interface SiteIdentity {
  id: string;
  /** The site's Netlify subdomain in production; here the directory name, made a valid subdomain. */
  name: string;
  /** Where `id` came from. */
  idSource: 'state.json' | 'unlinked';
}

export async function resolveSiteIdentity(root: string): Promise<SiteIdentity> {
  const name = path.basename(root).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'site';
  const linked = await linkedSiteId(root);
  if (linked !== undefined) return { id: linked, name, idSource: 'state.json' };
  return { id: UNLINKED_SITE_ID, name, idSource: 'unlinked' };
}

async function linkedSiteId(root: string): Promise<string | undefined> {
  try {
    const state: unknown = JSON.parse(await readFile(path.join(root, '.netlify', 'state.json'), 'utf8'));
    if (typeof state === 'object' && state !== null && 'siteId' in state && typeof state.siteId === 'string' && state.siteId !== '') {
      return state.siteId;
    }
  } catch {
    // No state file, or not JSON: an unlinked site, as netlify dev treats it.
  }
  return undefined;
}
