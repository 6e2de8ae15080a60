/**
 * `stateful-serverless serve`'s flags and environment variables, parsed into one value. Flags win over
 * environment variables; every bad input is a {@link UsageError} with a one-line message.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { readSettings, type ServerSettings } from '../server/settings.ts';
import { parseDeployContext, type DeployContext } from '../site/deploy-context.ts';
import { UsageError } from './usage-error.ts';

/** What `serve` runs with. */
export interface ServeOptions {
  /** The site directory as given (resolved against the working directory later). */
  siteDir: string;
  context: DeployContext;
  tomlEnv: boolean;
  watch: boolean;
  /** Fire scheduled functions on the server's clock (netlify dev never does). */
  runSchedules: boolean;
  /** `--country`: ISO 3166 code of the mock location requests come from; undefined keeps netlify dev's default. */
  country: string | undefined;
  settings: ServerSettings;
  help: boolean;
}

/** One flag: its parseArgs shape plus what `--help` says about it. */
interface FlagSpec {
  type: 'string' | 'boolean';
  value?: string;
  help: string;
}

export const serveFlags: Record<string, FlagSpec> = {
  site: { type: 'string', value: 'DIR', help: 'the site directory to serve (netlify.toml, functions, .env). Default: the working directory' },
  port: { type: 'string', value: 'N', help: 'port to listen on, 0 for any free one. Default: $PORT, else 8888' },
  host: { type: 'string', value: 'H', help: 'address to listen on. Default: $HOST, else 127.0.0.1' },
  context: { type: 'string', value: 'C', help: 'deploy context for [context.*] settings: dev, production, deploy-preview, branch-deploy, branch:<name>. Default: dev (as netlify dev)' },
  country: { type: 'string', value: 'XX', help: "two-letter country code requests come from (context.geo, x-nf-geo), as netlify dev --country. Default netlify dev's mock location (San Francisco, US); a request's own x-nf-geo header wins" },
  'toml-env': { type: 'boolean', help: "give functions netlify.toml's [build.environment] / [context.*.environment] as netlify dev does (production does not)" },
  'run-schedules': { type: 'boolean', help: 'run scheduled functions at their cron times, with next_run (netlify dev never runs them). Default off' },
  watch: { type: 'boolean', help: 'rebuild on source changes, reload on netlify.toml / .env changes. On by default; --no-watch turns it off' },
  help: { type: 'boolean', help: 'show this help' },
};

/** Environment variables `serve` reads, for `--help`. */
export const serveEnvVars: Record<string, string> = {
  PORT: 'port to listen on (default 8888); --port wins',
  HOST: 'address to listen on (default 127.0.0.1); --host wins',
  SIM_IDLE_TIMEOUT_MS: 'how long an idle container lives before it is reaped (default 600000, 10 min)',
  SIM_TIMEOUT_MS: 'invocation time limit (default 60000, Netlify synchronous functions)',
  SIM_MAX_CONCURRENCY: 'most containers per function; beyond it requests get 429 (default unlimited)',
  // The server's hardening knobs (src/server/http-settings.ts, docs/reliability.md), read by the same start.
  SIM_FUNCTION_CONCURRENCY: 'invocations of one function at once; more wait in its queue (default 16)',
  SIM_QUEUE_LENGTH: 'requests waiting per function before 429 THROTTLED (default 1000)',
  SIM_SHUTDOWN_GRACE_MS: 'how long Ctrl-C lets in-flight and waitUntil work finish (default 10000)',
  SIM_EXPOSE: '1 serves /__sim/* to clients beyond this machine (default 0: loopback only)',
};

/** Parses `serve`'s arguments and the environment. Throws {@link UsageError}. */
export function parseServeOptions(args: string[], env: Record<string, string | undefined>, cwd: string): ServeOptions {
  const options: ParseArgsOptionsConfig = {};
  for (const [name, spec] of Object.entries(serveFlags)) options[name] = { type: spec.type };
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: false, allowNegative: true });
  } catch (error) {
    throw new UsageError(argsMessage(error), { cause: error });
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const help = values.help === true;
  let settings: ServerSettings;
  try {
    settings = readSettings({
      ...env,
      ...(typeof values.port === 'string' && { PORT: values.port }),
      ...(typeof values.host === 'string' && { HOST: values.host }),
    });
  } catch (error) {
    // readSettings names the variable; say --port when the value came from the flag.
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(typeof values.port === 'string' ? message.replace(/^PORT /, '--port ') : message, { cause: error });
  }
  if (typeof values.host === 'string' && values.host.trim() === '') throw new UsageError('--host must not be empty');
  let context: DeployContext = 'dev';
  if (typeof values.context === 'string') {
    try {
      context = parseDeployContext(values.context);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
    }
  }
  let country: string | undefined;
  if (typeof values.country === 'string') {
    // netlify-cli accepts a two-letter code, case-insensitively, and upper-cases it.
    if (!/^[a-z]{2}$/i.test(values.country)) throw new UsageError(`--country must be a two-letter country code (ISO 3166), got "${values.country}"`);
    country = values.country.toUpperCase();
  }
  const siteDir = typeof values.site === 'string' ? values.site : cwd;
  if (siteDir.trim() === '') throw new UsageError('--site must name a directory');
  return { siteDir, context, tomlEnv: values['toml-env'] === true, watch: values.watch !== false, runSchedules: values['run-schedules'] === true, country, settings, help };
}

function argsMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = 'code' in error ? error.code : undefined;
  const flag = /'(--?[^' ]+)/.exec(error.message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag ${flag ?? error.message}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `${flag ?? 'a flag'} needs a value`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument ${/'([^']*)'/.exec(error.message)?.[1] ?? ''}: serve takes flags only (--site DIR)`;
  return error.message.split('\n')[0] ?? 'bad arguments';
}
