/**
 * The platform's variables for functions, and the names a local tool would set that production leaves
 * undefined. Netlify's docs (Functions > Environment variables): "only the following read-only variables
 * are available to functions during runtime": `URL`, `SITE_NAME`, `SITE_ID`. netlify dev sets more
 * (`CONTEXT`, `DEPLOY_URL`, `NETLIFY_DEV`, ...: netlify-cli `commands/dev/dev.ts`, `@netlify/config`
 * `getGeneralEnv`): a function that relies on those works locally and breaks in production, so reading
 * one logs a WARN instead. The Lambda variables (`AWS_LAMBDA_*`, `TZ`, ...) are per function: see
 * src/sim/lambda-env.ts.
 */
import type { Site } from './site.ts';

/** Variables netlify dev (or netlify build) sets that production functions do not get. */
export const netlifyDevOnlyNames = [
  'CONTEXT',
  'DEPLOY_URL',
  'DEPLOY_PRIME_URL',
  'DEPLOY_ID',
  'BUILD_ID',
  'NETLIFY',
  'NETLIFY_DEV',
  'NETLIFY_LOCAL',
  'BRANCH',
  'HEAD',
  'COMMIT_REF',
  'REPOSITORY_URL',
  'ACCOUNT_ID',
] as const;

/** The platform's names for {@link platformEnv}: a site cannot set them (netlify-cli refuses them in `env:set`). */
export const platformNames = ['URL', 'SITE_ID', 'SITE_NAME'] as const;

/** `URL`, `SITE_NAME`, `SITE_ID`: what production gives every function. `url` is the local server's address. */
export function platformEnv(site: Site, url: string): Record<string, string> {
  return { URL: url, SITE_ID: site.identity.id, SITE_NAME: site.identity.name };
}

/**
 * Name -> the WARN a function gets when it reads that name and finds it undefined: netlify.toml-only
 * variables and netlify dev-only ones. (Variables set only in the shell are found per container, see
 * src/sim/lambda-env.ts.)
 */
export function envNotices(site: Site): Record<string, string> {
  const notices: Record<string, string> = {};
  for (const name of netlifyDevOnlyNames) {
    notices[name] = `${name} is set by netlify dev, not by Netlify for functions (they get only URL, SITE_NAME and SITE_ID): in production it is undefined`;
  }
  for (const name of Object.keys(site.env.toml)) {
    if (name in site.env.functions) continue;
    notices[name] = `${name} is set only in netlify.toml, whose variables reach the build, not functions: in production it is undefined (set it in the Netlify UI or CLI, locally in .env)`;
  }
  return notices;
}
