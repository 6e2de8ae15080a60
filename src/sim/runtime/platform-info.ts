/**
 * Inside a container: the site, deploy, account and region facts the platform hands a function.
 * Production's v2 bootstrap reads the site from the environment (`SITE_ID`, `SITE_NAME`, `URL`) and the
 * region from `AWS_REGION` (@netlify/serverless-functions-api), and the deploy and account from request
 * headers Netlify's proxy adds (`x-nf-deploy-id`, `x-nf-deploy-context`, `x-nf-deploy-published`,
 * `x-nf-account-id`). Locally there is no deploy and no account: the values below stand in for them,
 * and the environment (which the site's settings fill in) wins when it has them.
 */

import { LOCAL_ACCOUNT_ID, UNLINKED_SITE_ID } from '../platform-defaults.ts';

/** What v2 `context.site`, `deploy`, `account` and `server` hold. */
export interface PlatformInfo {
  site: { id: string; name: string | undefined; url: string };
  deploy: { id: string; context: string; published: boolean; branch: string };
  account: { id: string };
  server: { region: string };
}

/**
 * Reads the platform facts from the container's environment and the request's `x-nf-deploy-context`
 * header (which the local server sets under `--context`, as production's proxy does); `origin` is the
 * request's, for a site without `URL`.
 */
export function platformInfo(env: NodeJS.ProcessEnv, origin: string, headers?: Headers): PlatformInfo {
  return {
    site: { id: env.SITE_ID ?? UNLINKED_SITE_ID, name: env.SITE_NAME, url: env.URL ?? origin },
    // `CONTEXT` is the deploy context Netlify sets at build time (`dev` under netlify dev).
    deploy: { id: env.DEPLOY_ID ?? '0', context: headers?.get('x-nf-deploy-context') || (env.CONTEXT ?? 'dev'), published: false, branch: env.BRANCH ?? '' },
    account: { id: LOCAL_ACCOUNT_ID },
    server: { region: env.AWS_REGION ?? 'dev' },
  };
}
