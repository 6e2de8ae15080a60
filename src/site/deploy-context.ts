/**
 * Netlify's deploy contexts. netlify.toml's `[context.<name>]` tables apply per context; netlify dev
 * uses `dev` unless `--context` says otherwise (netlify-cli `getDefaultContext()`), and so does this.
 */
import { SiteError } from './site-error.ts';

/** A deploy context: one of Netlify's four, or a branch deploy of a named branch (`branch:<name>`). */
export type DeployContext = 'dev' | 'production' | 'deploy-preview' | 'branch-deploy' | `branch:${string}`;

export const defaultDeployContext: DeployContext = 'dev';

/** Validates a `--context` value as netlify dev accepts it. */
export function parseDeployContext(value: string): DeployContext {
  if (value === 'dev' || value === 'production' || value === 'deploy-preview' || value === 'branch-deploy') return value;
  if (value.startsWith('branch:') && value.length > 'branch:'.length) return value as `branch:${string}`;
  throw new SiteError('CONFIG_INVALID', `--context must be dev, production, deploy-preview, branch-deploy or branch:<name>, got "${value}"`);
}

/**
 * The `[context.*]` table names that apply, lowest precedence first: a branch deploy of `feat` reads
 * `[context.branch-deploy]`, then `[context.feat]`.
 */
export function contextTables(context: DeployContext): string[] {
  if (context.startsWith('branch:')) return ['branch-deploy', context.slice('branch:'.length)];
  return [context];
}
