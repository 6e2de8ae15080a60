/**
 * The site's id and name, as production sets `SITE_ID` and `SITE_NAME` for functions. A site linked
 * with `netlify link` has its id in `.netlify/state.json` (netlify-cli's state file); otherwise the id
 * is derived from the directory, so it has production's UUID shape and stays the same across restarts.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface SiteIdentity {
  id: string;
  /** The site's Netlify subdomain in production; here the directory name, made a valid subdomain. */
  name: string;
  /** Where `id` came from. */
  idSource: 'state.json' | 'derived';
}

export async function resolveSiteIdentity(root: string): Promise<SiteIdentity> {
  const name = path.basename(root).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'site';
  const linked = await linkedSiteId(root);
  if (linked !== undefined) return { id: linked, name, idSource: 'state.json' };
  const hex = createHash('sha256').update(root).digest('hex');
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return { id, name, idSource: 'derived' };
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
