/**
 * A site as the harness runs it: resolved exactly as `stateful-serverless serve` resolves it
 * (src/site/site.ts: netlify.toml's functions directory, its redirects and `[functions]` settings, the
 * `.env` files), so a function sees in a test what it sees on the local server: the site's variables
 * and the platform's `URL`, `SITE_ID`, `SITE_NAME`, never the test process's own environment.
 */
import type { SimulatorOptions } from '../sim/api.ts';
import type { SimulatorExtraOptions } from '../sim/index.ts';
import type { RouteTable } from '../server/routes.ts';
import { envNotices, platformEnv } from '../site/platform-env.ts';
import { SiteError } from '../site/site-error.ts';
import { defaultFunctionsDirectory, resolveSite } from '../site/site.ts';
import { CALL_ORIGIN } from './call-input.ts';
import { TestingError } from './errors.ts';

/** Netlify's default functions directory when netlify.toml names none. */
export const DEFAULT_FUNCTIONS_DIRECTORY = defaultFunctionsDirectory;

/** A `[[redirects]]` rule, in the shape the server's route table reads. */
export type SiteRedirect = ConstructorParameters<typeof RouteTable>[1][number];

/** What the harness needs to know about a site. */
export interface SiteLayout {
  functionsDir: string;
  redirects: SiteRedirect[];
  /** Simulator options the site decides: its environment, its `[functions]` settings, its base directory. */
  simulator: Pick<SimulatorOptions, 'env' | 'envNotices'> & Pick<SimulatorExtraOptions, 'functionSettings' | 'baseDir'>;
}

/** Resolves the site in `siteDir`. A missing directory or a bad netlify.toml is a `TestingError` (`INVALID_OPTIONS`). */
export async function readSiteLayout(siteDir: string): Promise<SiteLayout> {
  let site;
  try {
    site = await resolveSite(siteDir);
  } catch (error) {
    if (error instanceof SiteError) throw new TestingError('INVALID_OPTIONS', error.message, { cause: error });
    throw error;
  }
  return {
    functionsDir: site.functionsDir,
    redirects: site.redirects,
    simulator: {
      // Platform variables last: production does not let a site override them. The origin is the one calls are addressed to.
      env: { ...site.env.functions, ...platformEnv(site, CALL_ORIGIN) },
      envNotices: envNotices(site),
      functionSettings: site.functionSettings,
      baseDir: site.root,
    },
  };
}
